using CardAp.Edge.Backup;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Edge.Tests.Backup;

public sealed class DailyBackupServiceTests
{
    private static readonly TimeSpan Japan = TimeSpan.FromHours(9);

    private static DailyBackupService Daily(TempStore store, BackupService backups, TimeProvider clock) =>
        new(backups, store.Records, Microsoft.Extensions.Options.Options.Create(store.Options), clock, NullLogger<DailyBackupService>.Instance);

    private static async Task<BackupFile> WaitForBackupAsync(BackupService backups, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (backups.List().FirstOrDefault(b => Path.GetFileName(b.Path) == name) is { } found)
            {
                return found;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"No backup {name}; have {string.Join(", ", backups.List().Select(b => Path.GetFileName(b.Path)))}.");
    }

    [Theory]
    [InlineData("2026-11-27T10:00:00+09:00", "2026-11-26T19:30:00+09:00")]
    [InlineData("2026-11-27T19:29:59+09:00", "2026-11-26T19:30:00+09:00")]
    [InlineData("2026-11-27T19:30:00+09:00", "2026-11-27T19:30:00+09:00")]
    [InlineData("2026-11-27T23:59:00+09:00", "2026-11-27T19:30:00+09:00")]
    [InlineData("2026-11-27T11:00:00+00:00", "2026-11-27T19:30:00+09:00")] // 20:00 in Japan
    [InlineData("2027-01-01T00:10:00+09:00", "2026-12-31T19:30:00+09:00")]
    public void The_last_due_time_is_the_most_recent_backup_time_in_japan(string now, string due)
    {
        Assert.Equal(DateTimeOffset.Parse(due, System.Globalization.CultureInfo.InvariantCulture),
            DailyBackupService.LastDue(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), new TimeOnly(19, 30)));
    }

    [Fact]
    public async Task With_no_backup_for_the_last_due_time_it_backs_up_at_start()
    {
        using var store = new TempStore();
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 27, 8, 45, 0, Japan));
        var backups = BackupTestKit.Service(store, clock);
        var daily = Daily(store, backups, clock);

        await daily.StartAsync(TestContext.Current.CancellationToken);
        await WaitForBackupAsync(backups, "edge-20261127-084500.db");
        await clock.WaitForTimerAsync();
        await daily.StopAsync(TestContext.Current.CancellationToken);

        var audit = Assert.Single(store.Records.AuditAfter(0));
        Assert.Equal(("backup", "ok", null, "edge-20261127-084500.db"), (audit.Action, audit.Outcome, audit.Operator, audit.Subject));
        Assert.Contains("\"trigger\":\"daily\"", audit.DetailJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task It_waits_for_the_backup_time_and_backs_up_once_a_day()
    {
        using var store = new TempStore();
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 0, 0, Japan));
        var backups = BackupTestKit.Service(store, clock);
        // Last night's backup is there.
        Directory.CreateDirectory(backups.Directory);
        File.Copy(store.DatabasePath, Path.Combine(backups.Directory, "edge-20261126-193012.db"));
        var daily = Daily(store, backups, clock);

        await daily.StartAsync(TestContext.Current.CancellationToken);
        await clock.StepToAsync(new DateTimeOffset(2026, 11, 27, 19, 29, 0, Japan));
        Assert.Single(backups.List());

        await clock.StepToAsync(new DateTimeOffset(2026, 11, 27, 19, 31, 0, Japan));
        await WaitForBackupAsync(backups, "edge-20261127-193000.db");
        await clock.StepToAsync(new DateTimeOffset(2026, 11, 28, 19, 0, 0, Japan));
        Assert.Equal(2, backups.List().Count);

        await clock.StepToAsync(new DateTimeOffset(2026, 11, 28, 20, 0, 0, Japan));
        await WaitForBackupAsync(backups, "edge-20261128-193000.db");
        await clock.WaitForTimerAsync();
        await daily.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(3, backups.List().Count);
        Assert.Equal(2, store.Records.AuditAfter(0).Count(a => a.Action == "backup"));
    }

    [Fact]
    public async Task A_failed_backup_is_audited_and_retried()
    {
        using var store = new TempStore();
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 27, 19, 30, 0, Japan));
        var backups = BackupTestKit.Service(store, clock);
        backups.AfterCopy = BackupTestKit.Corrupt;
        var daily = Daily(store, backups, clock);

        await daily.StartAsync(TestContext.Current.CancellationToken);
        var retryAt = await clock.WaitForTimerAsync();
        Assert.Equal(clock.GetUtcNow() + DailyBackupService.RetryDelay, retryAt);
        Assert.Empty(backups.List());

        backups.AfterCopy = null;
        await clock.StepToAsync(retryAt);
        await WaitForBackupAsync(backups, "edge-20261127-194500.db");
        await clock.WaitForTimerAsync();
        await daily.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["failed", "ok"], store.Records.AuditAfter(0).Select(a => a.Outcome));
    }

    [Fact]
    public async Task Turned_off_it_never_backs_up()
    {
        using var store = new TempStore(configure: o => o.DailyBackup = false);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 27, 20, 0, 0, Japan));
        var backups = BackupTestKit.Service(store, clock);
        var daily = Daily(store, backups, clock);

        await daily.StartAsync(TestContext.Current.CancellationToken);
        await daily.ExecuteTask!;
        await daily.StopAsync(TestContext.Current.CancellationToken);

        Assert.Empty(backups.List());
        Assert.Null(clock.NextDue);
    }
}
