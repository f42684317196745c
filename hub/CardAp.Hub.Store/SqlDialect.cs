using System.Data.Common;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CardAp.Hub.Store;

/// <summary>
/// Everything that differs between the engines, in one place: how to connect, the migrations
/// folder, the bootstrap of schema_migrations, "take the next change sequence", the master row
/// upsert, paging, the idempotent usage record insert and rollup increment, and taking a sync
/// stream's position row. All other SQL in the store is common to the three engines
/// (named parameters are written @name everywhere).
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>PostgreSQL: the hub's connection pool unless the connection string sizes it (Maximum Pool Size).</summary>
    public const int PostgresDefaultMaxPoolSize = 16;

    /// <summary>PostgreSQL: how long opening a connection may wait, pool included, unless the connection string says (Timeout), in seconds.</summary>
    public const int PostgresDefaultTimeoutSeconds = 30;

    public abstract HubEngine Engine { get; }

    /// <summary>The folder of this engine's migrations (embedded resources migrations/{folder}/NNNN_name.sql).</summary>
    public abstract string MigrationsFolder { get; }

    public abstract DbConnection CreateConnection(string connectionString);

    /// <summary>Creates schema_migrations when it does not exist.</summary>
    public abstract string CreateMigrationsTable { get; }

    /// <summary>
    /// Adds @by (0 to just lock) to the municipality's last_seq and returns the new value (one row,
    /// one column), row-locking the municipality until the transaction ends; no row when the
    /// municipality is unknown.
    /// </summary>
    public abstract string AdvanceSequence { get; }

    /// <summary>Inserts or replaces the master row (@municipality, @kind, @key, @payload, @seq, @deleted, @now).</summary>
    public abstract string UpsertMasterRow { get; }

    /// <summary>
    /// Taken first in the migration transaction so two hub processes starting together migrate one
    /// after the other; null when the transaction itself already excludes other writers (SQLite).
    /// </summary>
    public abstract string? MigrationLock { get; }

    /// <summary>Run once before migrating (SQLite: WAL journal, which persists in the file).</summary>
    public virtual string? BeforeMigrate => null;

    /// <summary>Limits a SELECT (that has its ORDER BY) to @limit rows.</summary>
    public abstract string Limit(string columns, string fromWhereOrderBy);

    /// <summary>
    /// Inserts a usage record (@municipality, @terminal, @stream, @seq, @site, @occurred, @date, @hour,
    /// @service, @operation, @outcome, @reason, @offline, @training, @now) unless its key is stored
    /// already, also against a concurrent insert of the same key; affects 1 row or 0.
    /// </summary>
    public abstract string InsertUsageRecord { get; }

    /// <summary>Adds @records to the usage_rollup row of (@municipality, @date, @hour, @site, @terminal, @service, @outcome, @reason, @offline), creating it.</summary>
    public abstract string IncrementUsageRollup { get; }

    /// <summary>
    /// Creates the sync_streams row of (@municipality, @terminal, @stream) at through_seq 0 (@now) when
    /// missing, also against a concurrent creation, and returns its through_seq, last_hash and
    /// refused_seq (one row), row-locked until the transaction ends, so two pushes of one stream
    /// run one after the other.
    /// </summary>
    public abstract string LockStreamPosition { get; }

    protected const string StreamPositionValues = "@municipality, @terminal, @stream, 0, NULL, NULL, @now";

    protected const string UsageRecordColumns =
        "municipality, terminal, stream, seq, site, occurred_at, local_date, local_hour, service, operation, outcome, reason, offline, training, received_at";

    protected const string UsageRecordValues =
        "@municipality, @terminal, @stream, @seq, @site, @occurred, @date, @hour, @service, @operation, @outcome, @reason, @offline, @training, @now";

    protected const string RollupKey = "municipality, local_date, local_hour, site, terminal, service, outcome, reason, offline";

    protected const string RollupValues = "@municipality, @date, @hour, @site, @terminal, @service, @outcome, @reason, @offline";

    public static SqlDialect For(HubEngine engine) => engine switch
    {
        HubEngine.Sqlite => new SqliteDialect(),
        HubEngine.PostgreSql => new PostgresDialect(),
        HubEngine.SqlServer => new SqlServerDialect(),
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, "Unknown hub engine."),
    };

    // SQLite and PostgreSQL share UPDATE ... RETURNING, INSERT ... ON CONFLICT and LIMIT.
    private abstract class StandardDialect : SqlDialect
    {
        public override string CreateMigrationsTable =>
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer NOT NULL PRIMARY KEY, name varchar(200) NOT NULL, applied_at varchar(40) NOT NULL)";

        public override string AdvanceSequence =>
            "UPDATE municipality_sequences SET last_seq = last_seq + @by WHERE municipality = @municipality RETURNING last_seq";

        public override string UpsertMasterRow =>
            "INSERT INTO master_rows (municipality, kind, row_key, payload, change_seq, deleted, updated_at) " +
            "VALUES (@municipality, @kind, @key, @payload, @seq, @deleted, @now) " +
            "ON CONFLICT (municipality, kind, row_key) DO UPDATE SET payload = excluded.payload, change_seq = excluded.change_seq, " +
            "deleted = excluded.deleted, updated_at = excluded.updated_at";

        public override string Limit(string columns, string fromWhereOrderBy) => $"SELECT {columns} {fromWhereOrderBy} LIMIT @limit";

        public override string InsertUsageRecord =>
            $"INSERT INTO usage_records ({UsageRecordColumns}) VALUES ({UsageRecordValues}) ON CONFLICT DO NOTHING";

        public override string IncrementUsageRollup =>
            $"INSERT INTO usage_rollup ({RollupKey}, records) VALUES ({RollupValues}, @records) " +
            $"ON CONFLICT ({RollupKey}) DO UPDATE SET records = usage_rollup.records + excluded.records";

        // The no-op update takes the row lock on PostgreSQL (SQLite's write lock is already held from BEGIN).
        public override string LockStreamPosition =>
            $"INSERT INTO sync_streams (municipality, terminal, stream, through_seq, last_hash, refused_seq, updated_at) VALUES ({StreamPositionValues}) " +
            "ON CONFLICT (municipality, terminal, stream) DO UPDATE SET through_seq = sync_streams.through_seq " +
            "RETURNING through_seq, last_hash, refused_seq";
    }

    private sealed class SqliteDialect : StandardDialect
    {
        public override HubEngine Engine => HubEngine.Sqlite;
        public override string MigrationsFolder => "sqlite";

        public override DbConnection CreateConnection(string connectionString) =>
            new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { ForeignKeys = true }.ToString());

        // Microsoft.Data.Sqlite begins transactions IMMEDIATE: the write lock is taken at BEGIN.
        public override string? MigrationLock => null;
        public override string? BeforeMigrate => "PRAGMA journal_mode = WAL";
    }

    private sealed class PostgresDialect : StandardDialect
    {
        public override HubEngine Engine => HubEngine.PostgreSql;
        public override string MigrationsFolder => "postgres";
        // The hub runs the same few statements all day (a push is hundreds of the same INSERT):
        // prepared once per pooled connection, PostgreSQL stops planning each of them again.
        // A connection string that sets Max Auto Prepare itself keeps its value.
        //
        // Npgsql's default pool of 100 is PostgreSQL's default max_connections: under 1,000 terminals
        // pushing at once one hub took every connection the server had ("sorry, too many clients
        // already", calls failed) and a hundred backends on a few cores only slowed each other down
        // (docs/benchmarks.md, load run). A smaller pool leaves room for the other hub instances and
        // tools, and a call beyond it waits its turn for a connection instead: up to Timeout, and no
        // longer than its caller waits (the call's deadline cancels the open). 30 s is the edge's own
        // call deadline. A connection string that sets either keeps its value.
        public override DbConnection CreateConnection(string connectionString)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
            {
                builder.MaxAutoPrepare = 64;
                builder.AutoPrepareMinUsages = 2;
            }
            // The builder names each keyword it was given by its canonical name, whichever synonym was used.
            var given = builder.Keys.Cast<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (!given.Contains("Maximum Pool Size"))
            {
                builder.MaxPoolSize = Math.Max(PostgresDefaultMaxPoolSize, builder.MinPoolSize);
            }
            if (!given.Contains("Timeout"))
            {
                builder.Timeout = PostgresDefaultTimeoutSeconds;
            }
            return new NpgsqlConnection(builder.ToString());
        }
        public override string? MigrationLock => "SELECT pg_advisory_xact_lock(7406200601)";
    }

    private sealed class SqlServerDialect : SqlDialect
    {
        public override HubEngine Engine => HubEngine.SqlServer;
        public override string MigrationsFolder => "sqlserver";
        public override DbConnection CreateConnection(string connectionString) => new SqlConnection(connectionString);

        public override string? MigrationLock =>
            "EXEC sp_getapplock @Resource = N'cardap_hub_migrations', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000";

        public override string CreateMigrationsTable =>
            "IF OBJECT_ID(N'schema_migrations', N'U') IS NULL " +
            "CREATE TABLE schema_migrations (version int NOT NULL PRIMARY KEY, name nvarchar(200) NOT NULL, applied_at nvarchar(40) NOT NULL)";

        public override string AdvanceSequence =>
            "UPDATE municipality_sequences SET last_seq = last_seq + @by OUTPUT inserted.last_seq WHERE municipality = @municipality";

        // The caller holds the municipality's sequence row lock, so no other writer races this pair.
        public override string UpsertMasterRow =>
            "UPDATE master_rows SET payload = @payload, change_seq = @seq, deleted = @deleted, updated_at = @now " +
            "WHERE municipality = @municipality AND kind = @kind AND row_key = @key; " +
            "IF @@ROWCOUNT = 0 INSERT INTO master_rows (municipality, kind, row_key, payload, change_seq, deleted, updated_at) " +
            "VALUES (@municipality, @kind, @key, @payload, @seq, @deleted, @now)";

        public override string Limit(string columns, string fromWhereOrderBy) => $"SELECT TOP (@limit) {columns} {fromWhereOrderBy}";

        // UPDLOCK + HOLDLOCK keep the key range locked from the check to the insert, so a concurrent
        // upload of the same record waits and then finds it, instead of failing on the primary key.
        public override string InsertUsageRecord =>
            $"INSERT INTO usage_records ({UsageRecordColumns}) SELECT {UsageRecordValues} " +
            "WHERE NOT EXISTS (SELECT 1 FROM usage_records WITH (UPDLOCK, HOLDLOCK) " +
            "WHERE municipality = @municipality AND terminal = @terminal AND stream = @stream AND seq = @seq)";

        public override string IncrementUsageRollup =>
            "UPDATE usage_rollup WITH (UPDLOCK, HOLDLOCK) SET records = records + @records " +
            "WHERE municipality = @municipality AND local_date = @date AND local_hour = @hour AND site = @site AND terminal = @terminal " +
            "AND service = @service AND outcome = @outcome AND reason = @reason AND offline = @offline; " +
            $"IF @@ROWCOUNT = 0 INSERT INTO usage_rollup ({RollupKey}, records) VALUES ({RollupValues}, @records)";

        public override string LockStreamPosition =>
            "IF NOT EXISTS (SELECT 1 FROM sync_streams WITH (UPDLOCK, HOLDLOCK) WHERE municipality = @municipality AND terminal = @terminal AND stream = @stream) " +
            $"INSERT INTO sync_streams (municipality, terminal, stream, through_seq, last_hash, refused_seq, updated_at) VALUES ({StreamPositionValues}); " +
            "SELECT through_seq, last_hash, refused_seq FROM sync_streams WITH (UPDLOCK, ROWLOCK) " +
            "WHERE municipality = @municipality AND terminal = @terminal AND stream = @stream";
    }
}
