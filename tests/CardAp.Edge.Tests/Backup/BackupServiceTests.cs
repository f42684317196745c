using System.Collections.Concurrent;
using CardAp.Edge.Backup;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Store;

namespace CardAp.Edge.Tests.Backup;

public sealed class BackupServiceTests
{
    [Fact]
    public async Task A_backup_is_a_verified_single_file_named_by_its_japan_time()
    {
        using var store = new TempStore();
        for (var i = 0; i < 10; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"t{i}"), TempStore.Audit());
        }
        var backups = BackupTestKit.Service(store, new ManualTimeProvider(BackupTestKit.Morning.ToUniversalTime()));

        var result = await backups.BackupNowAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Path.Combine(store.Root, "backups", "edge-20261127-100000.db"), result.Path);
        Assert.Equal(BackupTestKit.Morning, result.StartedAt);
        Assert.Equal(new FileInfo(result.Path).Length, result.Bytes);
        Assert.Empty(result.Removed);
        Assert.Same(result, backups.LastResult);
        Assert.Equal(["edge-20261127-100000.db"], Directory.GetFiles(backups.Directory).Select(Path.GetFileName));
        Assert.Equal("ok", BackupService.Check(result.Path));
        Assert.Equal(10, store.Scalar("SELECT count(*) FROM transactions", result.Path));
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'", result.Path));
        var listed = Assert.Single(backups.List());
        Assert.Equal((result.Path, BackupTestKit.Morning, result.Bytes), (listed.Path, listed.CreatedAt, listed.Bytes));
    }

    [Fact]
    public async Task A_backup_under_load_holds_every_transaction_acknowledged_before_it_started()
    {
        using var store = new TempStore();
        var backups = BackupTestKit.Service(store, TimeProvider.System);
        var acknowledged = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = $"w{w}-{i}";
                store.Records.RecordTransaction(TempStore.Transaction(id, member: $"M{w}"), TempStore.Audit());
                acknowledged.Enqueue(id);
            }
        }, TestContext.Current.CancellationToken)).ToList();
        while (acknowledged.Count < 400)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var before = acknowledged.ToArray();
        var result = await backups.BackupNowAsync(TestContext.Current.CancellationToken);
        var stillWriting = acknowledged.Count;
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.Equal("ok", BackupService.Check(result.Path));
        using var copy = BackupTestKit.OpenCopy(store, result.Path, "restored-copy.db");
        var records = new LocalRecords(copy);
        var inBackup = records.TransactionsAfter(0, int.MaxValue).Select(t => t.Id).ToHashSet();
        Assert.All(before, id => Assert.Contains(id, inBackup));
        Assert.Equal(inBackup.Count, records.LastSeq(OutboxStreams.Transactions)); // gap-free
        Assert.True(new AuditChainVerifier(copy).Verify(TestContext.Current.CancellationToken).IsValid);
        Assert.True(stillWriting > before.Length, "writers kept going during the backup");
    }

    [Fact]
    public async Task Rotation_keeps_the_newest_backups()
    {
        using var store = new TempStore(configure: o => o.BackupsKept = 3);
        var clock = new ManualTimeProvider(BackupTestKit.Morning);
        var backups = BackupTestKit.Service(store, clock);
        var results = new List<BackupResult>();

        for (var day = 0; day < 5; day++)
        {
            results.Add(await backups.BackupNowAsync(TestContext.Current.CancellationToken));
            clock.AdvanceTo(clock.GetUtcNow().AddDays(1));
        }

        Assert.Equal(["edge-20261201-100000.db", "edge-20261130-100000.db", "edge-20261129-100000.db"], backups.List().Select(b => Path.GetFileName(b.Path)));
        Assert.Equal([results[0].Path], results[3].Removed);
        Assert.Equal([results[1].Path], results[4].Removed);
    }

    [Fact]
    public async Task Two_backups_within_one_second_get_distinct_names_in_order()
    {
        using var store = new TempStore();
        var backups = BackupTestKit.Service(store, new ManualTimeProvider(BackupTestKit.Morning));

        var first = await backups.BackupNowAsync(TestContext.Current.CancellationToken);
        var second = await backups.BackupNowAsync(TestContext.Current.CancellationToken);

        Assert.Equal("edge-20261127-100000-2.db", Path.GetFileName(second.Path));
        Assert.Equal([second.Path, first.Path], backups.List().Select(b => b.Path));
    }

    [Fact]
    public async Task A_copy_failing_integrity_check_is_deleted_and_reported()
    {
        using var store = new TempStore();
        for (var i = 0; i < 200; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"t{i}"), TempStore.Audit());
        }
        var backups = BackupTestKit.Service(store, new ManualTimeProvider(BackupTestKit.Morning));
        backups.AfterCopy = BackupTestKit.Corrupt;

        var e = await Assert.ThrowsAsync<BackupException>(() => backups.BackupNowAsync(TestContext.Current.CancellationToken));

        Assert.Contains("failed integrity_check and was deleted", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(backups.Directory));
        Assert.Null(backups.LastResult);

        backups.AfterCopy = null;
        var result = await backups.BackupNowAsync(TestContext.Current.CancellationToken);
        Assert.Equal("edge-20261127-100000.db", Path.GetFileName(result.Path));
    }

    [Fact]
    public async Task A_partial_copy_left_by_a_crash_is_cleaned_up_and_never_listed()
    {
        using var store = new TempStore();
        var backups = BackupTestKit.Service(store, new ManualTimeProvider(BackupTestKit.Morning));
        Directory.CreateDirectory(backups.Directory);
        var stale = Path.Combine(backups.Directory, "edge-20261126-193000.db.partial");
        await File.WriteAllTextAsync(stale, "half", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(backups.Directory, "notes.txt"), "keep me", TestContext.Current.CancellationToken);
        Assert.Empty(backups.List());

        await backups.BackupNowAsync(TestContext.Current.CancellationToken);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(Path.Combine(backups.Directory, "notes.txt")));
        Assert.Single(backups.List());
    }

    [Fact]
    public async Task A_cancelled_backup_leaves_nothing()
    {
        using var store = new TempStore();
        var backups = BackupTestKit.Service(store, new ManualTimeProvider(BackupTestKit.Morning));
        using var cts = new CancellationTokenSource();
        backups.AfterCopy = _ => cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backups.BackupNowAsync(cts.Token));

        Assert.Empty(Directory.GetFiles(backups.Directory));
    }

    [Fact]
    public void Integrity_check_of_a_file_that_is_not_a_database_reports_the_error()
    {
        using var store = new TempStore();
        var path = Path.Combine(store.Root, "not-a-db.db");
        File.WriteAllText(path, new string('x', 5000));

        Assert.Contains("not a database", BackupService.Check(path), StringComparison.Ordinal);
    }
}
