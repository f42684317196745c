using CardAp.Edge.Options;
using CardAp.Edge.Store;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Extensions;

/// <summary>
/// Brings up a site with no network: when the store holds no master data yet and a snapshot
/// file is configured, imports it before the terminal takes requests.
/// </summary>
public sealed class StartupSnapshotImport(IOptions<EdgeOptions> options, MasterData master, MasterSnapshotImporter importer, ILogger<StartupSnapshotImport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.InitialMasterSnapshot is { Length: > 0 } path && master.IsEmpty)
        {
            var rows = importer.Import(File.ReadAllBytes(path), operatorId: null);
            logger.LogInformation("Imported {Rows} master data rows from {Path}", rows, path);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
