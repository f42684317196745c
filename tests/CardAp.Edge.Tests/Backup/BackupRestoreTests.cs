using System.Text.Json.Nodes;
using CardAp.Edge.Backup;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Store;

namespace CardAp.Edge.Tests.Backup;

public sealed class BackupRestoreTests
{
    [Fact]
    public async Task A_restore_brings_back_exactly_the_backup_and_keeps_the_replaced_database()
    {
        using var store = new TempStore();
        for (var i = 0; i < 5; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"before-{i}"), TempStore.Audit());
        }
        store.Master.Apply([MasterChange.Upsert("service", "library", new JsonObject { ["id"] = "library" }, 3)]);
        var backup = await BackupTestKit.Service(store, new ManualTimeProvider(BackupTestKit.Morning)).BackupNowAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 5; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"after-{i}"), TempStore.Audit());
        }
        store.Database.Dispose(); // the edge is stopped

        var result = BackupRestore.Restore(backup.Path, store.DatabasePath, new ManualTimeProvider(BackupTestKit.Morning.AddHours(2)));

        Assert.Equal((store.DatabasePath, backup.Path, "131016-T001", 5L, 5L), (result.DatabasePath, result.BackupPath, result.TerminalId, result.LastTransactionSeq, result.LastAuditSeq));
        Assert.Equal(store.DatabasePath + ".replaced-20261127-120000", result.PreviousDatabase);
        Assert.Equal(10, store.Scalar("SELECT count(*) FROM transactions", result.PreviousDatabase));
        Assert.False(File.Exists(store.DatabasePath + "-wal"));
        Assert.False(File.Exists(store.DatabasePath + ".restoring"));

        store.Reopen(); // the edge starts again
        Assert.Equal("ok", store.Database.IntegrityCheck());
        Assert.Equal(["before-0", "before-1", "before-2", "before-3", "before-4"], store.Records.TransactionsAfter(0).Select(t => t.Id));
        Assert.True(store.Verifier.Verify(TestContext.Current.CancellationToken).IsValid);
        Assert.NotNull(store.Master.GetJson("service", "library"));
        Assert.Contains("edge-20261127-100000.db", store.Outbox.GetState("restore.pending"), StringComparison.Ordinal);
        // The next record continues the restored sequence without a gap.
        Assert.Equal(6, store.Records.RecordTransaction(TempStore.Transaction("next"), TempStore.Audit()).Seq);
        Assert.Equal("131016-T001", store.Database.TerminalId);
    }

    [Fact]
    public async Task A_restore_refuses_while_the_database_is_open()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("t"), TempStore.Audit());
        var backup = await BackupTestKit.Service(store, TimeProvider.System).BackupNowAsync(TestContext.Current.CancellationToken);
        store.Records.RecordTransaction(TempStore.Transaction("u"), TempStore.Audit());

        var e = Assert.Throws<BackupException>(() => BackupRestore.Restore(backup.Path, store.DatabasePath));

        Assert.Contains("is in use: stop the edge", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, store.Records.TransactionsAfter(0).Count);
        Assert.Single(Directory.GetFiles(store.Root, "edge.db*"), f => f.EndsWith("edge.db", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_damaged_backup_is_refused_and_the_database_is_untouched()
    {
        using var store = new TempStore();
        for (var i = 0; i < 200; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"t{i}"), TempStore.Audit());
        }
        var backup = await BackupTestKit.Service(store, TimeProvider.System).BackupNowAsync(TestContext.Current.CancellationToken);
        BackupTestKit.Corrupt(backup.Path);
        store.Database.Dispose();

        var e = Assert.Throws<BackupException>(() => BackupRestore.Restore(backup.Path, store.DatabasePath));

        Assert.Contains("failed integrity_check; nothing was restored", e.Message, StringComparison.Ordinal);
        store.Reopen();
        Assert.Equal(200, store.Records.LastSeq(OutboxStreams.Transactions));
    }

    [Fact]
    public async Task Another_terminals_backup_is_refused()
    {
        using var other = new TempStore("131016-T002");
        var backup = await BackupTestKit.Service(other, TimeProvider.System).BackupNowAsync(TestContext.Current.CancellationToken);
        using var store = new TempStore("131016-T001");
        store.Database.Dispose();

        var e = Assert.Throws<BackupException>(() => BackupRestore.Restore(backup.Path, store.DatabasePath));

        Assert.Contains("belongs to terminal 131016-T002, but", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_foreign_backups_are_refused()
    {
        using var store = new TempStore();
        store.Database.Dispose();
        var foreign = Path.Combine(store.Root, "foreign.db");
        store.Execute("CREATE TABLE x (y INTEGER)", foreign);

        Assert.Contains("does not exist", Assert.Throws<BackupException>(() => BackupRestore.Restore(foreign + ".nope", store.DatabasePath)).Message, StringComparison.Ordinal);
        Assert.Contains("not a CardAp edge database", Assert.Throws<BackupException>(() => BackupRestore.Restore(foreign, store.DatabasePath)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restore_onto_a_new_machine_creates_the_database()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("t"), TempStore.Audit());
        var backup = await BackupTestKit.Service(store, TimeProvider.System).BackupNowAsync(TestContext.Current.CancellationToken);
        var target = Path.Combine(store.Root, "new-machine", "edge.db");

        var result = BackupRestore.Restore(backup.Path, target);

        Assert.Null(result.PreviousDatabase);
        using var restored = new EdgeDatabase(new EdgeStoreOptions { DatabasePath = target, TerminalId = "131016-T001" });
        Assert.NotNull(new LocalRecords(restored).ByRequestId("t"));
    }
}
