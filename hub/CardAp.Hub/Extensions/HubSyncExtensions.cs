using System.IO.Compression;
using CardAp.Hub.Api;
using CardAp.Hub.Store.Sync;

namespace CardAp.Hub.Extensions;

public static class HubSyncExtensions
{
    /// <summary>The sync API for terminals (ADR 0010): feed, snapshot and ingest over the hub store.</summary>
    public static IHostApplicationBuilder AddHubSync(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SyncFeed>();
        builder.Services.AddSingleton<SyncIngest>();
        // Master pages and acknowledgements go over LGWAN, where bytes cost more than the CPU to pack them.
        builder.Services.AddGrpc().AddServiceOptions<SyncService>(o =>
        {
            o.ResponseCompressionAlgorithm = "gzip";
            o.ResponseCompressionLevel = CompressionLevel.Fastest;
        });
        return builder;
    }

    public static WebApplication MapHubSync(this WebApplication app)
    {
        app.MapGrpcService<SyncService>();
        return app;
    }
}
