using CardAp.Hub.Api;
using CardAp.Hub.Dashboard;
using CardAp.Hub.Import;
using CardAp.Hub.Options;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Validation;
using CardAp.Shared.Hosting;
using CardAp.Shared.Logging;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Extensions;

public static class HubServiceExtensions
{
    /// <summary>
    /// The largest request message the hub takes (gRPC MaxReceiveMessageSize), which bounds a
    /// registrations file in one ImportRegistrations call; provisioning checks a file against it first.
    /// </summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>The hub's name as a systemd unit and as a Windows service.</summary>
    public const string ServiceName = "cardap-hub";

    /// <summary>Everything the hub host runs: service manager, logging, options, mutual TLS, caller identity, gRPC, health, dashboard.</summary>
    public static IHostApplicationBuilder AddHubServices(this IHostApplicationBuilder builder)
    {
        // First: as a Windows service it sets the current directory that relative settings resolve against.
        builder.AddCardApServiceManager(ServiceName);
        builder.AddCardApSerilog("hub");
        builder.Services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HubOptions>, HubOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);

        // Kestrel: one mutual-TLS endpoint from the validated options; nothing listens in plain text.
        builder.Services.AddSingleton<HubTls>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<HubTls>((kestrel, tls) => tls.Configure(kestrel));

        // Stateless app server: every piece of state is in this database.
        builder.Services.AddOptions<HubDatabaseOptions>().BindConfiguration(HubDatabaseOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HubDatabaseOptions>, HubDatabaseOptionsValidator>();
        builder.Services.AddSingleton(services =>
        {
            var database = services.GetRequiredService<IOptions<HubDatabaseOptions>>().Value;
            return new HubDatabase(database.Engine, database.ConnectionString, services.GetRequiredService<TimeProvider>());
        });
        builder.Services.AddSingleton<IMasterStore, MasterStore>();
        builder.Services.AddSingleton<MunicipalityStore>();
        builder.Services.AddSingleton<RegistrationImporter>();
        builder.Services.AddSingleton<ServiceTuningValidator>();
        builder.Services.AddSingleton<MasterValidator>();
        builder.Services.AddSingleton<HubAuditStore>();
        builder.Services.AddSingleton<RevokedCertificateStore>();
        builder.Services.AddHostedService<HubDatabaseMigration>();

        builder.Services.AddSingleton<ICallerAccessor, CallerAccessor>();
        builder.Services.AddSingleton<RevocationGate>();
        builder.Services.AddSingleton<RevocationInterceptor>();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxRequestBytes;
            // First, so it runs before any other interceptor and every method of every service (ADR 0008).
            o.Interceptors.Add<RevocationInterceptor>();
        });
        builder.Services.AddGrpcHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy());
        builder.Services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(o => o.UseHealthChecksCache = false);
        builder.AddHubReports();
        builder.AddHubSync();
        builder.AddHubDashboard();
        return builder;
    }

    public static WebApplication MapHubEndpoints(this WebApplication app)
    {
        app.MapGrpcService<AdminService>();
        app.MapHubReports();
        app.MapHubSync();
        app.MapGrpcHealthChecksService();
        app.MapHubDashboard();
        return app;
    }
}
