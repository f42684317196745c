using CardAp.Edge.Store;

namespace CardAp.Edge.Tests.Store;

public sealed class EdgeDatabaseTests
{
    [Fact]
    public void Creates_the_file_in_wal_mode_with_every_migration_recorded()
    {
        using var store = new TempStore();

        Assert.True(File.Exists(store.DatabasePath));
        Assert.Equal(EdgeDatabase.LatestSchemaVersion, store.Database.SchemaVersion);
        Assert.Equal(Migrations.All.Count, store.Scalar("SELECT count(*) FROM schema_migrations"));
        using var connection = store.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "PRAGMA synchronous";
        Assert.Equal(2L, command.ExecuteScalar()); // FULL
        command.CommandText = "PRAGMA foreign_keys";
        Assert.Equal(1L, command.ExecuteScalar());
        command.CommandText = "PRAGMA busy_timeout";
        Assert.Equal(5000L, command.ExecuteScalar());
    }

    [Fact]
    public void Reopening_applies_nothing_twice_and_keeps_the_records()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("r1"), TempStore.Audit());

        store.Reopen();
        store.Reopen();

        Assert.Equal(Migrations.All.Count, store.Scalar("SELECT count(*) FROM schema_migrations"));
        Assert.NotNull(store.Records.ByRequestId("r1"));
        Assert.True(store.Verifier.Verify(TestContext.Current.CancellationToken).IsValid);
    }

    [Fact]
    public void A_later_migration_is_applied_once_to_an_existing_database()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("r1"), TempStore.Audit());
        store.Database.Dispose();
        List<Migration> next = [.. Migrations.All, new(Migrations.All.Count + 1, "test: a new table", "CREATE TABLE test_added (x INTEGER)")];

        using (var upgraded = new EdgeDatabase(store.Options, next))
        {
            Assert.Equal(Migrations.All.Count + 1, upgraded.SchemaVersion);
        }
        using (var again = new EdgeDatabase(store.Options, next))
        {
            Assert.Equal(Migrations.All.Count + 1, again.SchemaVersion);
        }

        Assert.Equal(Migrations.All.Count + 1, store.Scalar("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM test_added"));
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM transactions"));
    }

    [Fact]
    public void A_failing_migration_changes_nothing()
    {
        using var store = new TempStore();
        store.Database.Dispose();
        List<Migration> broken = [.. Migrations.All, new(Migrations.All.Count + 1, "test: broken", "CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;")];

        var e = Assert.Throws<StoreException>(() => new EdgeDatabase(store.Options, broken));

        Assert.Contains("no_such_table", e.Message, StringComparison.Ordinal);
        Assert.Equal(Migrations.All.Count, store.Scalar("SELECT max(version) FROM schema_migrations"));
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'"));
        store.Reopen();
    }

    [Fact]
    public void A_database_newer_than_the_code_is_refused_and_left_alone()
    {
        using var store = new TempStore();
        store.Database.Dispose();
        store.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01T00:00:00Z')");

        var e = Assert.Throws<StoreException>(() => new EdgeDatabase(store.Options));

        Assert.Contains("schema version 999", e.Message, StringComparison.Ordinal);
        Assert.Contains($"versions up to {EdgeDatabase.LatestSchemaVersion}", e.Message, StringComparison.Ordinal);
        Assert.Contains("newer release", e.Message, StringComparison.Ordinal);
        Assert.Equal(999, store.Scalar("SELECT max(version) FROM schema_migrations"));
        store.Execute("DELETE FROM schema_migrations WHERE version = 999");
        store.Reopen();
    }

    [Fact]
    public void A_database_of_another_terminal_is_refused()
    {
        using var store = new TempStore("131016-T001");
        store.Database.Dispose();

        var e = Assert.Throws<StoreException>(() => new EdgeDatabase(new EdgeStoreOptions { DatabasePath = store.DatabasePath, TerminalId = "131016-T002" }));

        Assert.Contains("belongs to terminal 131016-T001, not 131016-T002", e.Message, StringComparison.Ordinal);
        store.Reopen();
    }

    [Fact]
    public void A_file_that_is_not_an_edge_database_is_refused()
    {
        using var store = new TempStore();
        var other = Path.Combine(store.Root, "other.db");
        store.Execute("CREATE TABLE customers (id INTEGER)", other);

        var e = Assert.Throws<StoreException>(() => new EdgeDatabase(new EdgeStoreOptions { DatabasePath = other, TerminalId = "131016-T001" }));

        Assert.Contains("not a CardAp edge database", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_sqlite_is_refused_with_its_path()
    {
        using var store = new TempStore();
        var garbage = Path.Combine(store.Root, "garbage.db");
        File.WriteAllText(garbage, new string('x', 4096));

        var e = Assert.Throws<StoreException>(() => new EdgeDatabase(new EdgeStoreOptions { DatabasePath = garbage, TerminalId = "131016-T001" }));

        Assert.Contains(garbage, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integrity_check_is_ok_and_checkpoint_truncates_the_wal()
    {
        using var store = new TempStore();
        for (var i = 0; i < 50; i++)
        {
            store.Records.RecordTransaction(TempStore.Transaction($"r{i}"), TempStore.Audit());
        }
        Assert.True(new FileInfo(store.DatabasePath + "-wal").Length > 0);

        var result = store.Database.Checkpoint();

        Assert.True(result.Complete);
        Assert.Equal(0, new FileInfo(store.DatabasePath + "-wal").Length);
        Assert.Equal("ok", store.Database.IntegrityCheck());
    }

    [Fact]
    public void Dispose_leaves_a_self_contained_file()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("r1"), TempStore.Audit());

        store.Database.Dispose();

        Assert.False(File.Exists(store.DatabasePath + "-wal"));
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM transactions"));
        store.Reopen();
    }
}
