using System.Text.Json.Nodes;
using CardAp.Edge.Backup;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Backup;

namespace CardAp.Edge.Tests.Store;

/// <summary>What sync needs from the store: the offline flag, paged apply with an explicit checkpoint, staged snapshots, the restore mark.</summary>
public sealed class SyncStoreTests
{
    private static MasterChange Row(string kind, string key, long version, string? value = null) =>
        MasterChange.Upsert(kind, key, new JsonObject { ["value"] = value ?? key }, version);

    [Fact]
    public void Migration_2_adds_the_offline_flag_to_a_version_1_database_and_keeps_its_records()
    {
        var directory = Directory.CreateTempSubdirectory("cardap-migrate-");
        try
        {
            var options = new EdgeStoreOptions { DatabasePath = Path.Combine(directory.FullName, "edge.db"), TerminalId = "131016-T001" };
            using (var v1 = new EdgeDatabase(options, [Migrations.All[0]]))
            {
                Assert.Equal(1, v1.SchemaVersion);
                using var connection = v1.OpenConnection();
                using var command = connection.CreateCommand();
                command.CommandText =
                    "INSERT INTO transactions (seq, id, local_time, utc_ticks, service, operation, training, payload) " +
                    "VALUES (1, 'old-1', '2026-11-27T10:00:00.0000000+09:00', 0, 'points', 'accrue', 0, '{}')";
                command.ExecuteNonQuery();
            }

            using var v2 = new EdgeDatabase(options);
            var records = new LocalRecords(v2);

            Assert.Equal(EdgeDatabase.LatestSchemaVersion, v2.SchemaVersion);
            Assert.False(Assert.Single(records.TransactionsAfter(0)).Confirm);
            Assert.False(Assert.Single(records.TransactionsAfter(0)).Offline);
            records.RecordTransaction(TempStore.Transaction("new-1") with { Offline = true }, TempStore.Audit());
            records.RecordTransaction(TempStore.Transaction("new-2"), TempStore.Audit());
            Assert.Equal([false, true, false], records.TransactionsAfter(0).Select(t => t.Offline));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_retry_recorded_online_keeps_the_original_offline_flag()
    {
        using var store = new TempStore();
        var first = store.Records.RecordTransaction(TempStore.Transaction("r1") with { Offline = true }, TempStore.Audit());

        var retry = store.Records.RecordTransaction(TempStore.Transaction("r1") with { Offline = false }, TempStore.Audit());

        Assert.True(retry.Duplicate);
        Assert.Equal(first.Seq, retry.Seq);
        Assert.True(store.Records.ByRequestId("r1")!.Offline);
    }

    [Fact]
    public void A_page_moves_the_checkpoint_to_its_through_seq_even_beyond_its_last_change_and_when_empty()
    {
        using var store = new TempStore();
        var version = store.Master.Version;

        Assert.Equal(2, store.Master.ApplyPage(0, [Row("cardStatus", "C1", 3), Row("cardStatus", "C2", 5)], 9));
        Assert.Equal(9, store.Master.Checkpoint);
        Assert.True(store.Master.Version > version);

        version = store.Master.Version;
        Assert.Equal(0, store.Master.ApplyPage(9, [], 20));
        Assert.Equal(20, store.Master.Checkpoint);
        Assert.Equal(version, store.Master.Version); // nothing changed for readers' caches

        Assert.Equal(1, store.Master.ApplyPage(20, [MasterChange.Delete("cardStatus", "C1", 21)], 21));
        Assert.Null(store.Master.GetJson("cardStatus", "C1"));
        Assert.Equal(5, Assert.Single(store.Master.Rows("cardStatus")).Version);
    }

    [Fact]
    public void A_page_for_another_checkpoint_or_with_a_change_outside_it_applies_nothing()
    {
        using var store = new TempStore();
        store.Master.ApplyPage(0, [Row("cardStatus", "C1", 3)], 10);

        var moved = Assert.Throws<StoreException>(() => store.Master.ApplyPage(4, [Row("cardStatus", "C2", 11)], 12));
        Assert.Contains("checkpoint is 10, not 4", moved.Message, StringComparison.Ordinal);
        var outside = Assert.Throws<ArgumentException>(() => store.Master.ApplyPage(10, [Row("cardStatus", "C2", 11), Row("cardStatus", "C3", 13)], 12));
        Assert.Contains("sequence 13, outside the page (10, 12]", outside.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => store.Master.ApplyPage(10, [Row("cardStatus", "C2", 10)], 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Master.ApplyPage(10, [], 9));

        Assert.Equal(10, store.Master.Checkpoint);
        Assert.Equal(["C1"], store.Master.Rows("cardStatus").Select(r => r.Key));
    }

    [Fact]
    public void A_staged_snapshot_is_invisible_until_its_commit_replaces_the_whole_set_in_one_step()
    {
        using var store = new TempStore();
        store.Master.ApplyPage(0, [Row("cardStatus", "OLD-1", 1), Row("cardStatus", "OLD-2", 2)], 2);
        var version = store.Master.Version;

        var token = store.Master.BeginSnapshot();
        Assert.Equal(2, store.Master.StageSnapshot(token, [Row("cardStatus", "NEW-1", 40), Row("issuerKey", "K1", 7)]));
        Assert.Equal(1, store.Master.StageSnapshot(token, [Row("shelter", "gym-1", 12)]));
        Assert.Equal(3, store.Scalar("SELECT count(*) FROM master_staging"));

        // Staged pages change nothing a reader sees.
        Assert.Equal(["OLD-1", "OLD-2"], store.Master.Rows("cardStatus").Select(r => r.Key));
        Assert.Equal(2, store.Master.Checkpoint);
        Assert.Equal(version, store.Master.Version);

        var rows = store.Master.CommitSnapshot(token, 50, "scope-a", "131016", TempStore.T0, "scope changed");

        Assert.Equal(3, rows);
        Assert.Equal(["NEW-1"], store.Master.Rows("cardStatus").Select(r => r.Key));
        Assert.Equal(40, store.Master.Rows("cardStatus")[0].Version);
        Assert.Equal(3, store.Master.Count());
        Assert.Equal(50, store.Master.Checkpoint);
        Assert.Equal("scope-a", store.Master.Scope);
        Assert.True(store.Master.Version > version);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM master_staging"));
        var audit = store.Records.AuditAfter(0)[^1];
        Assert.Equal((MasterData.SnapshotAuditAction, "ok", "131016"), (audit.Action, audit.Outcome, audit.Subject));
        var detail = JsonNode.Parse(audit.DetailJson)!;
        Assert.Equal((50L, 3L, 2L, "scope changed"), ((long)detail["sequence"]!, (long)detail["rows"]!, (long)detail["replacedRows"]!, (string)detail["reason"]!));
        // The token is spent: a late page of the same snapshot cannot slip into a later one.
        Assert.Throws<StoreException>(() => store.Master.StageSnapshot(token, [Row("cardStatus", "LATE", 60)]));
    }

    [Fact]
    public void A_snapshot_interrupted_by_a_restart_leaves_the_old_set_and_its_staging_is_discarded()
    {
        using var store = new TempStore();
        store.Master.ApplyPage(0, [Row("cardStatus", "OLD-1", 1)], 5);
        var token = store.Master.BeginSnapshot();
        store.Master.StageSnapshot(token, [Row("cardStatus", "NEW-1", 8), Row("cardStatus", "NEW-2", 9)]);

        store.Reopen(); // the process died mid-snapshot

        Assert.Equal(0, store.Scalar("SELECT count(*) FROM master_staging"));
        Assert.Equal(["OLD-1"], store.Master.Rows("cardStatus").Select(r => r.Key));
        Assert.Equal(5, store.Master.Checkpoint);
        var e = Assert.Throws<StoreException>(() => store.Master.CommitSnapshot(token, 9, "scope-a", "131016", TempStore.T0, null));
        Assert.Contains("taken again from its first page", e.Message, StringComparison.Ordinal);
        Assert.Equal(["OLD-1"], store.Master.Rows("cardStatus").Select(r => r.Key));
    }

    [Fact]
    public void A_new_snapshot_discards_the_pages_of_an_earlier_unfinished_one()
    {
        using var store = new TempStore();
        var first = store.Master.BeginSnapshot();
        store.Master.StageSnapshot(first, [Row("cardStatus", "A", 1)]);

        var second = store.Master.BeginSnapshot();
        store.Master.StageSnapshot(second, [Row("cardStatus", "B", 2)]);

        Assert.Throws<StoreException>(() => store.Master.StageSnapshot(first, [Row("cardStatus", "C", 3)]));
        Assert.Equal(1, store.Master.CommitSnapshot(second, 2, "s", "131016", TempStore.T0, null));
        Assert.Equal(["B"], store.Master.Rows("cardStatus").Select(r => r.Key));
    }

    [Fact]
    public void A_commit_that_would_erase_the_set_or_bring_another_municipality_changes_nothing()
    {
        using var store = new TempStore();
        var token = store.Master.BeginSnapshot();
        store.Master.StageSnapshot(token, [Row("cardStatus", "A", 1)]);
        store.Master.CommitSnapshot(token, 1, "s", "131016", TempStore.T0, null);

        token = store.Master.BeginSnapshot();
        var empty = Assert.Throws<StoreException>(() => store.Master.CommitSnapshot(token, 5, "s", "131016", TempStore.T0, null));
        Assert.Contains("holds no rows", empty.Message, StringComparison.Ordinal);
        store.Master.StageSnapshot(token, [Row("cardStatus", "X", 3)]);
        var other = Assert.Throws<StoreException>(() => store.Master.CommitSnapshot(token, 5, "s", "011002", TempStore.T0, null));
        Assert.Contains("municipality 131016", other.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => store.Master.StageSnapshot(token, [MasterChange.Delete("cardStatus", "A", 4)]));

        Assert.Equal(["A"], store.Master.Rows("cardStatus").Select(r => r.Key));
        Assert.Equal(1, store.Master.Checkpoint);
    }

    [Fact]
    public void A_snapshot_file_import_forgets_the_hub_scope_so_sync_takes_a_hub_snapshot()
    {
        using var store = new TempStore();
        var token = store.Master.BeginSnapshot();
        store.Master.StageSnapshot(token, [Row("cardStatus", "A", 1)]);
        store.Master.CommitSnapshot(token, 1, "scope-a", "131016", TempStore.T0, null);
        Assert.Equal("scope-a", store.Master.Scope);

        var importer = new MasterSnapshotImporter(store.Database, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<MasterSnapshotImporter>.Instance);
        importer.Import("""
            {"format":"cardap-master-snapshot","version":1,"municipality":"131016","createdAt":"2026-11-27T09:00:00+09:00","sequence":4,
             "rows":[{"kind":"cardStatus","key":"F","payload":{"status":"suspended"}}]}
            """u8.ToArray());

        Assert.Null(store.Master.Scope);
        Assert.Equal(4, store.Master.Checkpoint);
    }

    [Fact]
    public async Task A_restore_marks_where_each_stream_ended_in_the_backup_until_sync_clears_it()
    {
        using var store = new TempStore();
        for (var i = 0; i < 3; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"t{i}"), TempStore.Audit());
        }
        store.Records.RecordAudit(TempStore.Audit("sign-in"));
        store.Records.RecordTelemetry(TempStore.T0, "reader.latency", 4.5);
        var backup = await BackupTestKit.Service(store, new ManualTimeProvider(BackupTestKit.Morning)).BackupNowAsync(TestContext.Current.CancellationToken);
        store.Records.RecordTransaction(TempStore.Transaction("after"), TempStore.Audit());
        store.Database.Dispose();
        BackupRestore.Restore(backup.Path, store.DatabasePath);
        store.Reopen();

        var through = store.Outbox.RestoredThrough();

        Assert.NotNull(through);
        Assert.Equal(3, through[OutboxStreams.Transactions]);
        Assert.Equal(4, through[OutboxStreams.Audit]);
        Assert.Equal(1, through[OutboxStreams.Telemetry]);
        Assert.Throws<ArgumentException>(() => store.Outbox.SetState("restore.pending", "{}"));
        store.Outbox.ClearRestorePending();
        Assert.Null(store.Outbox.RestoredThrough());
    }
}
