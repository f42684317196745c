using CardAp.Hub.Options;
using CardAp.Hub.Store;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Extensions;

/// <summary>Brings the schema up to date before the hub takes calls (or checks it is current).</summary>
public sealed class HubDatabaseMigration(HubDatabase database, IOptions<HubDatabaseOptions> options, ILogger<HubDatabaseMigration> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateAtStart)
        {
            var applied = await database.MigrateAsync(cancellationToken);
            logger.LogInformation("Hub database ({Engine}): {Applied} migration(s) applied", database.Engine, applied);
        }
        else
        {
            await database.EnsureCurrentAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
