using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Edge.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Backup;

/// <summary>
/// One backup a day at or after <see cref="EdgeStoreOptions.BackupTime"/> (Japan time, after service
/// hours). The rule is "the most recent scheduled time must have a backup taken at or after it": so a
/// terminal that was off at that time backs up as soon as it starts (covering the day it missed),
/// and a failed backup is retried every 15 minutes. It wakes at least hourly, so a clock corrected by
/// NTP cannot make it skip a day. Each daily backup is recorded in the audit log.
/// </summary>
public sealed class DailyBackupService(
    BackupService backups,
    LocalRecords records,
    IOptions<EdgeStoreOptions> options,
    TimeProvider clock,
    ILogger<DailyBackupService> logger) : BackgroundService
{
    internal static readonly TimeSpan RetryDelay = TimeSpan.FromMinutes(15);
    internal static readonly TimeSpan LongestSleep = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DailyBackup)
        {
            logger.LogInformation("Daily backup is off (Store:DailyBackup = false)");
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Daily backup check failed; retrying in {Minutes} minutes", RetryDelay.TotalMinutes);
                wait = RetryDelay;
            }
            try
            {
                await Task.Delay(wait, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Backs up if the most recent scheduled time has no backup yet; returns how long to sleep.</summary>
    internal async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        var backupTime = options.Value.BackupTime;
        var due = LastDue(Now(), backupTime);
        if (!backups.HasBackupSince(due))
        {
            logger.LogInformation("Daily backup due since {Due}: backing up now", due);
            try
            {
                var result = await backups.BackupNowAsync(cancellationToken);
                Audit(AuditEntry.Ok, Path.GetFileName(result.Path), new JsonObject
                {
                    ["trigger"] = "daily",
                    ["bytes"] = result.Bytes,
                    ["removed"] = result.Removed.Count,
                });
            }
            catch (BackupException e)
            {
                logger.LogError(e, "Daily backup failed; retrying in {Minutes} minutes", RetryDelay.TotalMinutes);
                Audit(AuditEntry.Failed, null, new JsonObject { ["trigger"] = "daily", ["error"] = e.Message });
                return RetryDelay;
            }
        }
        var untilNext = due.AddDays(1) - Now();
        return untilNext < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : untilNext > LongestSleep ? LongestSleep : untilNext;
    }

    /// <summary>The most recent scheduled backup time at or before <paramref name="japanNow"/> (to the second).</summary>
    internal static DateTimeOffset LastDue(DateTimeOffset japanNow, TimeOnly backupTime)
    {
        var local = japanNow.ToOffset(CardDates.JapanOffset);
        var at = new TimeOnly(backupTime.Hour, backupTime.Minute, backupTime.Second);
        var today = new DateTimeOffset(DateOnly.FromDateTime(local.DateTime).ToDateTime(at), CardDates.JapanOffset);
        return local >= today ? today : today.AddDays(-1);
    }

    private DateTimeOffset Now() => clock.GetUtcNow().ToOffset(CardDates.JapanOffset);

    private void Audit(string outcome, string? subject, JsonObject detail)
    {
        try
        {
            records.RecordAudit(new AuditEntry(Now(), "backup", outcome, null, subject, detail));
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not record the daily backup in the audit log");
        }
    }
}
