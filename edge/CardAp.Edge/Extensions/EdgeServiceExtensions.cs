using CardAp.Card.Pcsc;
using CardAp.Card.Readers;
using CardAp.Edge.Api;
using CardAp.Edge.Enrolment;
using CardAp.Edge.Errors;
using CardAp.Edge.Hub;
using CardAp.Edge.Operators;
using CardAp.Edge.Options;
using CardAp.Edge.Readers;
using CardAp.Edge.Screen;
using CardAp.Edge.Services;
using CardAp.Edge.Store;
using CardAp.Edge.Trust;
using CardAp.Shared.Hosting;
using CardAp.Shared.Logging;
using CardAp.VirtualCard.InProcess;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Extensions;

public static class EdgeServiceExtensions
{
    /// <summary>The edge's name as a systemd unit and as a Windows service.</summary>
    public const string ServiceName = "cardap-edge";

    /// <summary>
    /// The largest request either API reads (a master-data snapshot is the largest there is). Field
    /// limits live in the validator; this bounds what a hostile client can make us parse.
    /// </summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>Everything the edge host runs: service manager, logging, options, store, readers, sessions, services, gRPC, the screen.</summary>
    public static IHostApplicationBuilder AddEdgeServices(this IHostApplicationBuilder builder)
    {
        // First: as a Windows service it sets the current directory that relative settings resolve against.
        builder.AddCardApServiceManager(ServiceName);
        builder.AddEnrolmentSettings();
        builder.AddCardApSerilog("edge");
        builder.Services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<EdgeOptions>, EdgeOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);

        // The UPS deadline bounds the whole shutdown: stop taking requests, drain, checkpoint.
        var deadline = builder.Configuration.GetValue($"{EdgeOptions.Section}:{nameof(EdgeOptions.ShutdownDeadline)}", TimeSpan.FromSeconds(10));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = deadline);

        builder.AddEdgeStore();
        builder.Services.AddSingleton<ICardReaders>(services => CreateReaders(services.GetRequiredService<IOptions<EdgeOptions>>().Value, services));
        builder.Services.AddSingleton<ReaderEventHub>();
        builder.Services.AddHostedService<ReaderWatcher>();
        builder.Services.AddSingleton<HubConnectivity>();
        builder.Services.AddHostedService(services => services.GetRequiredService<HubConnectivity>());
        builder.AddEdgeSync();

        builder.Services.AddSingleton<TrustStoreProvider>();
        builder.Services.AddSingleton<CardIdentification>();
        builder.Services.AddSingleton<OperatorSessions>();
        builder.Services.AddSingleton<ServiceCatalog>();
        builder.Services.AddSingleton<ServiceHoursProvider>();
        builder.Services.AddSingleton<TrainingMode>();
        builder.Services.AddSingleton<OperationPipeline>();
        builder.Services.AddHostedService<StartupSnapshotImport>();

        // One instance for the gRPC endpoint and the screen's JSON API: it keeps no per-call state.
        builder.Services.AddSingleton<TerminalService>();
        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<RefusalInterceptor>();
            o.MaxReceiveMessageSize = MaxRequestBytes;
        });
        builder.AddEdgeScreen();
        builder.Services.AddGrpcHealthChecks().AddCheck<Diagnostics.StoreHealthCheck>("store");
        // Answer from the checks themselves, not from the publisher's cache (first filled after 5 s).
        builder.Services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(o => o.UseHealthChecksCache = false);
        return builder;
    }

    public static WebApplication MapEdgeEndpoints(this WebApplication app)
    {
        app.MapGrpcService<TerminalService>();
        app.MapGrpcHealthChecksService();
        app.MapEdgeScreen();
        // A checkpoint after the server has drained leaves a self-contained database file behind.
        app.Lifetime.ApplicationStopped.Register(() => app.Services.GetRequiredService<EdgeDatabase>().Checkpoint());
        return app;
    }

    private static ICardReaders CreateReaders(EdgeOptions options, IServiceProvider services) => options.Readers switch
    {
        ReaderBackend.Virtual => new InProcessCardReaders(services.GetRequiredService<TimeProvider>(),
            Enumerable.Range(0, options.VirtualReaderCount).Select(InProcessCardReaders.ReaderName)),
        _ => new PcscReaders(logger: services.GetRequiredService<ILogger<PcscReaders>>(), timeProvider: services.GetRequiredService<TimeProvider>()),
    };
}
