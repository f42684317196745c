using Microsoft.Extensions.Configuration.Json;

namespace CardAp.Edge.Enrolment;

/// <summary>
/// The settings enrolment wrote (enrolment.json in the content root): read at every start, above
/// appsettings files and below environment variables and arguments, so IT can still override one.
/// </summary>
public static class EnrolmentConfiguration
{
    public const string FileName = "enrolment.json";

    public static IHostApplicationBuilder AddEnrolmentSettings(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var sources = builder.Configuration.Sources;
        var lastJson = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource)
            {
                lastJson = i;
            }
        }
        var path = Path.Combine(builder.Environment.ContentRootPath, FileName);
        var source = new JsonConfigurationSource { Path = path, Optional = true, ReloadOnChange = false };
        source.ResolveFileProvider();
        sources.Insert(lastJson + 1, source);
        return builder;
    }
}
