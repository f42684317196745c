using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Hosting.WindowsServices;

namespace CardAp.Shared.Hosting;

/// <summary>
/// Lets a CardAp host run as a systemd unit (Type=notify: READY=1 once it serves, STOPPING=1 when
/// it begins to stop) or as a Windows service (start, stop and shutdown from the SCM). Started by
/// hand, from a terminal or a test, nothing changes. docs/operations.md has the units and scripts.
/// </summary>
public static class ServiceManagerSetup
{
    /// <summary>Where systemd tells a Type=notify service to send its state (sd_notify(3)).</summary>
    public const string NotifySocketVariable = "NOTIFY_SOCKET";

    /// <param name="builder">The host builder.</param>
    /// <param name="serviceName">The Windows service name (cardap-edge, cardap-hub).</param>
    public static IHostApplicationBuilder AddCardApServiceManager(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);

        var systemd = SystemdHelpers.IsSystemdService() || NotifyRequested();
        if (systemd || WindowsServiceHelpers.IsWindowsService())
        {
            // The hosts resolve relative paths in their settings (Store:DatabasePath, SQLite's
            // "Data Source=hub.db", certificate files) against the current directory, which a service
            // manager sets to System32 (Windows) or / (systemd without WorkingDirectory=). Make it the
            // content root (--contentRoot, WorkingDirectory=, else the program's folder on Windows):
            // a service then finds the files a start by hand from that folder would.
            Directory.SetCurrentDirectory(builder.Environment.ContentRootPath);
        }
        builder.Services.AddWindowsService(options => options.ServiceName = serviceName);

        builder.Services.AddSystemd();
        if (systemd && !SystemdHelpers.IsSystemdService())
        {
            // systemd's contract is the variable (sd_notify(3)); .NET only believes it when the parent
            // process is systemd itself, which a wrapper in ExecStart= (sh -c, runuser) or a test
            // harness hides, and Type=notify would then time out and kill a host that is serving.
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }
        return builder;
    }

    private static bool NotifyRequested() =>
        !OperatingSystem.IsWindows() && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(NotifySocketVariable));
}
