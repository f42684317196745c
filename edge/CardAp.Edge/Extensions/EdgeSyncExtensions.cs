using CardAp.Edge.Sync;
using CardAp.Sync.Edge;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Extensions;

public static class EdgeSyncExtensions
{
    /// <summary>
    /// Sync with the hub: <see cref="EdgeSyncOptions"/> bound from "Edge:Sync" and validated at
    /// start, the store adapter, and <see cref="SyncBackgroundService"/> as a singleton (the terminal
    /// API asks it for status and "sync now") and as a hosted service. Needs the edge store and
    /// <see cref="Hub.HubConnectivity"/>.
    /// </summary>
    public static IHostApplicationBuilder AddEdgeSync(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<EdgeSyncOptions>().BindConfiguration(EdgeSyncOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<EdgeSyncOptions>, EdgeSyncOptionsValidator>();
        builder.Services.AddSingleton<IEdgeSyncStore, EdgeSyncStore>();
        builder.Services.AddSingleton<SyncBackgroundService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SyncBackgroundService>());
        return builder;
    }
}
