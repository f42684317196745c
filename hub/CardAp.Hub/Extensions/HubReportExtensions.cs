using CardAp.Hub.Api;
using CardAp.Hub.Options;
using CardAp.Hub.Reports;
using CardAp.Hub.Store.Records;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Extensions;

public static class HubReportExtensions
{
    /// <summary>Usage records, reports, the fleet view and the daily retention purge.</summary>
    public static IHostApplicationBuilder AddHubReports(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        builder.Services.AddOptions<FleetOptions>().BindConfiguration(FleetOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<FleetOptions>, FleetOptionsValidator>();
        builder.Services.AddSingleton<UsageRecords>();
        builder.Services.AddSingleton<TerminalContacts>();
        builder.Services.AddSingleton<Retention>();
        builder.Services.AddSingleton<UsageReports>();
        builder.Services.AddSingleton<FleetView>();
        builder.Services.AddSingleton<ReportQueries>();
        builder.Services.AddHostedService<RetentionService>();
        return builder;
    }

    public static WebApplication MapHubReports(this WebApplication app)
    {
        app.MapGrpcService<ReportService>();
        return app;
    }
}
