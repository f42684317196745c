using CardAp.Edge.Backup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Store;

public static class StoreRegistration
{
    /// <summary>
    /// The edge store: <see cref="EdgeStoreOptions"/> bound from "Store" and validated at start-up;
    /// <see cref="EdgeDatabase"/>, <see cref="LocalRecords"/>, <see cref="MasterData"/>,
    /// <see cref="OutboxState"/>, <see cref="MasterSnapshotImporter"/>, <see cref="AuditChainVerifier"/>
    /// and <see cref="BackupService"/> as singletons; the daily backup as a hosted service.
    /// Registers <see cref="TimeProvider.System"/> unless a TimeProvider is registered already.
    /// </summary>
    public static IHostApplicationBuilder AddEdgeStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<EdgeStoreOptions>().Bind(builder.Configuration.GetSection(EdgeStoreOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeStoreOptions>, EdgeStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EdgeDatabase>();
        services.TryAddSingleton<LocalRecords>();
        services.TryAddSingleton<MasterData>();
        services.TryAddSingleton<OutboxState>();
        services.TryAddSingleton<MasterSnapshotImporter>();
        services.TryAddSingleton<AuditChainVerifier>();
        services.TryAddSingleton<BackupService>();
        services.AddHostedService<DailyBackupService>();
        return builder;
    }
}
