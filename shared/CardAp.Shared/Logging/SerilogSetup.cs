using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;

namespace CardAp.Shared.Logging;

/// <summary>
/// The one Serilog set-up every CardAp host uses: console plus a daily rolling file,
/// overridable from the "Serilog" configuration section.
/// </summary>
public static class SerilogSetup
{
    public const string OutputTemplate =
        "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>Registers Serilog as the host's logger.</summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="appName">Names the log file (logs/{appName}-yyyyMMdd.log).</param>
    public static IHostApplicationBuilder AddCardApSerilog(this IHostApplicationBuilder builder, string appName)
    {
        var logDirectory = builder.Configuration["Logging:Directory"] ?? Path.Combine(AppContext.BaseDirectory, "logs");
        var retainedDays = builder.Configuration.GetValue("Logging:RetainedDays", 31);
        // Off where something else owns the console: the demo narrates there and runs several hosts in one process.
        var console = builder.Configuration.GetValue("Logging:Console", true);
        builder.Services.AddSerilog((services, logger) =>
            Configure(logger, appName, logDirectory, retainedDays, console)
                .ReadFrom.Configuration(builder.Configuration));
        return builder;
    }

    /// <summary>A logger for command-line tools that run without a host.</summary>
    public static Serilog.ILogger CreateConsoleLogger(LogEventLevel minimum = LogEventLevel.Information) =>
        new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            .WriteTo.Console(outputTemplate: OutputTemplate, standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();

    internal static LoggerConfiguration Configure(LoggerConfiguration logger, string appName, string logDirectory, int retainedDays, bool console = true)
    {
        logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("App", appName);
        if (console)
        {
            logger.WriteTo.Console(outputTemplate: OutputTemplate);
        }
        return logger.WriteTo.File(
            Path.Combine(logDirectory, appName + "-.log"),
            rollingInterval: RollingInterval.Day,
            retainedFileCountLimit: retainedDays,
            outputTemplate: OutputTemplate);
    }
}
