using CardAp.Hub.Options;
using CardAp.Hub.Store.Records;
using CardAp.Shared.Hours;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Extensions;

/// <summary>
/// Runs the retention purge once a day at <see cref="RetentionOptions.DailyAt"/> Japan time. Every
/// hub instance runs it; a second run the same night finds nothing left to purge.
/// </summary>
public sealed class RetentionService(Retention retention, IOptions<RetentionOptions> options, TimeProvider clock, ILogger<RetentionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            logger.LogInformation("Retention is off ({Section}:Enabled = false): nothing is purged", RetentionOptions.Section);
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            var next = NextRun(now, settings.DailyAtTime);
            await Task.Delay(next - now, clock, stoppingToken);
            try
            {
                var result = await retention.RunAsync(settings.Policy, dryRun: false, cancellationToken: stoppingToken);
                logger.LogInformation(
                    "Retention: purged {Records} usage record(s) before {RecordsBefore:yyyy-MM-dd} and {Tombstones} tombstone(s) before {TombstonesBefore:O} in {Municipalities} municipality(ies)",
                    result.Records, result.RecordsBefore, result.Tombstones, result.TombstonesBefore, result.Municipalities.Count);
                foreach (var purge in result.Municipalities)
                {
                    logger.LogInformation("Retention in {Municipality}: {Records} record(s), {Tombstones} tombstone(s), purged through change {Seq}",
                        purge.Municipality, purge.Records, purge.Tombstones, purge.PurgedThroughSeq);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The next night tries again; the data is only kept longer meanwhile.
                logger.LogError(e, "Retention run failed");
            }
        }
    }

    /// <summary>The next instant (after <paramref name="now"/>) when Japan time reads <paramref name="at"/>.</summary>
    public static DateTimeOffset NextRun(DateTimeOffset now, TimeOnly at)
    {
        var today = JapanTime.At(JapanTime.DateOf(now), at);
        return today > now ? today : today.AddDays(1);
    }
}
