using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace CardAp.Hub.Store;

/// <summary>
/// The hub database on one of three engines: opens connections and applies the engine's versioned
/// migrations. Holds no state besides its settings, so any number of instances (hub processes) can
/// share one database.
/// </summary>
public sealed partial class HubDatabase
{
    private static readonly Dictionary<HubEngine, IReadOnlyList<Migration>> AllMigrations = LoadMigrations();

    private readonly string _connectionString;

    public HubDatabase(HubEngine engine, string connectionString, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Dialect = SqlDialect.For(engine);
        _connectionString = connectionString;
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    public HubEngine Engine => Dialect.Engine;

    /// <summary>The schema version this code knows (the highest migration of its engine).</summary>
    public int LatestSchemaVersion => AllMigrations[Engine][^1].Version;

    internal SqlDialect Dialect { get; }

    internal string ConnectionStringForTests => _connectionString;

    internal TimeProvider TimeProvider { get; }

    internal DateTimeOffset UtcNow => TimeProvider.GetUtcNow().ToUniversalTime();

    /// <summary>
    /// Applies the migrations the database does not have yet, each in order and all in one
    /// transaction that excludes other migrating hub processes. Idempotent. Returns how many were applied.
    /// </summary>
    /// <exception cref="HubSchemaTooNewException">The database was migrated by newer code; nothing changed.</exception>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if (Dialect.BeforeMigrate is { } before)
        {
            await ExecuteAsync(connection, null, before, cancellationToken);
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (Dialect.MigrationLock is { } migrationLock)
        {
            await ExecuteAsync(connection, transaction, migrationLock, cancellationToken);
        }
        await ExecuteAsync(connection, transaction, Dialect.CreateMigrationsTable, cancellationToken);
        var current = await ReadVersionAsync(connection, transaction, cancellationToken);
        if (current > LatestSchemaVersion)
        {
            throw new HubSchemaTooNewException(current, LatestSchemaVersion);
        }
        var applied = 0;
        foreach (var migration in AllMigrations[Engine].Where(m => m.Version > current))
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
            await ExecuteAsync(connection, transaction,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)", cancellationToken,
                ("@version", migration.Version), ("@name", migration.Name), ("@at", UtcNow.ToString("O", CultureInfo.InvariantCulture)));
            applied++;
        }
        await transaction.CommitAsync(cancellationToken);
        return applied;
    }

    /// <summary>The database's schema version (0 when it was never migrated).</summary>
    public async Task<int> SchemaVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, Dialect.CreateMigrationsTable, cancellationToken);
        return await ReadVersionAsync(connection, null, cancellationToken);
    }

    /// <summary>Refuses to serve a database that is not at this code's schema version.</summary>
    /// <exception cref="HubSchemaTooNewException">The database is newer than this code.</exception>
    /// <exception cref="InvalidOperationException">The database needs migrating.</exception>
    public async Task EnsureCurrentAsync(CancellationToken cancellationToken = default)
    {
        var version = await SchemaVersionAsync(cancellationToken);
        if (version > LatestSchemaVersion)
        {
            throw new HubSchemaTooNewException(version, LatestSchemaVersion);
        }
        if (version < LatestSchemaVersion)
        {
            throw new InvalidOperationException(
                $"The hub database is at schema version {version}, this hub needs {LatestSchemaVersion}: run the migrations first.");
        }
    }

    internal async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = Dialect.CreateConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    internal static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // SQL text comes from this assembly only; values are parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    internal static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Runs one statement once per row of parameters, in the caller's transaction, and returns each
    /// run's affected-row count. Where the provider batches (PostgreSQL, SQL Server) the runs go in
    /// DbBatches of <see cref="MaxBatchCommands"/>, one round trip each: a push of 500 records is a
    /// few round trips, not a thousand. SQLite is in process and runs one prepared statement.
    /// <paramref name="types"/> types parameters that may be null in every row (a prepared statement needs a type).
    /// </summary>
    internal static async Task<int[]> ExecuteEachAsync(
        DbConnection connection, DbTransaction transaction, string sql, IReadOnlyList<(string Name, object? Value)[]> rows,
        IReadOnlyDictionary<string, DbType> types, CancellationToken cancellationToken)
    {
        var affected = new int[rows.Count];
        if (rows.Count == 0)
        {
            return affected;
        }
        if (connection.CanCreateBatch)
        {
            for (var start = 0; start < rows.Count; start += MaxBatchCommands)
            {
                await using var batch = connection.CreateBatch();
                batch.Transaction = transaction;
                var end = Math.Min(rows.Count, start + MaxBatchCommands);
                for (var i = start; i < end; i++)
                {
                    var command = batch.CreateBatchCommand();
#pragma warning disable CA2100 // SQL text comes from this assembly only; values are parameters.
                    command.CommandText = sql;
#pragma warning restore CA2100
                    foreach (var (name, value) in rows[i])
                    {
                        var parameter = command.CreateParameter();
                        parameter.ParameterName = name;
                        if (types.TryGetValue(name, out var type))
                        {
                            parameter.DbType = type;
                        }
                        parameter.Value = value ?? DBNull.Value;
                        command.Parameters.Add(parameter);
                    }
                    batch.BatchCommands.Add(command);
                }
                await batch.ExecuteNonQueryAsync(cancellationToken);
                for (var i = start; i < end; i++)
                {
                    affected[i] = batch.BatchCommands[i - start].RecordsAffected;
                }
            }
            return affected;
        }
        await using var prepared = Command(connection, transaction, sql, rows[0]);
        foreach (DbParameter parameter in prepared.Parameters)
        {
            if (types.TryGetValue(parameter.ParameterName, out var type))
            {
                parameter.DbType = type;
            }
        }
        await prepared.PrepareAsync(cancellationToken);
        for (var i = 0; i < rows.Count; i++)
        {
            foreach (var (name, value) in rows[i])
            {
                prepared.Parameters[name].Value = value ?? DBNull.Value;
            }
            affected[i] = await prepared.ExecuteNonQueryAsync(cancellationToken);
        }
        return affected;
    }

    /// <summary>Statements per DbBatch in <see cref="ExecuteEachAsync"/>.</summary>
    internal const int MaxBatchCommands = 500;

    internal static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    private static async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        await ScalarAsync(connection, transaction, "SELECT max(version) FROM schema_migrations", cancellationToken) is { } value
            ? Convert.ToInt32(value, CultureInfo.InvariantCulture)
            : 0;

    private static Dictionary<HubEngine, IReadOnlyList<Migration>> LoadMigrations()
    {
        var assembly = typeof(HubDatabase).Assembly;
        var result = new Dictionary<HubEngine, IReadOnlyList<Migration>>();
        foreach (var engine in Enum.GetValues<HubEngine>())
        {
            var prefix = $"migrations/{SqlDialect.For(engine).MigrationsFolder}/";
            var migrations = assembly.GetManifestResourceNames()
                .Select(name => (Name: name, Normalised: name.Replace('\\', '/')))
                .Where(resource => resource.Normalised.StartsWith(prefix, StringComparison.Ordinal))
                .Select(resource => ReadMigration(assembly, resource.Name, resource.Normalised[prefix.Length..]))
                .OrderBy(migration => migration.Version)
                .ToList();
            for (var i = 0; i < migrations.Count; i++)
            {
                if (migrations[i].Version != i + 1)
                {
                    throw new InvalidOperationException($"The {engine} migrations are not numbered 1, 2, 3, ... without gaps.");
                }
            }
            if (migrations.Count == 0)
            {
                throw new InvalidOperationException($"No {engine} migrations are embedded.");
            }
            result[engine] = migrations;
        }
        return result;
    }

    private static Migration ReadMigration(Assembly assembly, string resource, string fileName)
    {
        var match = MigrationName().Match(fileName);
        if (!match.Success)
        {
            throw new InvalidOperationException($"Migration '{fileName}' is not named NNNN_name.sql.");
        }
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new Migration(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd());
    }

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();

    private sealed record Migration(int Version, string Name, string Sql);
}

/// <summary>The database was migrated by newer hub code than this one: it is refused, not touched.</summary>
public sealed class HubSchemaTooNewException(int databaseVersion, int codeVersion) : InvalidOperationException(
    $"The hub database is at schema version {databaseVersion}, newer than this hub knows ({codeVersion}): " +
    "run the newer hub, or restore a backup taken before the upgrade.")
{
    public int DatabaseVersion { get; } = databaseVersion;
    public int CodeVersion { get; } = codeVersion;
}
