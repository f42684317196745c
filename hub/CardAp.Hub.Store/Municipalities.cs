using System.Data.Common;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Store;

/// <summary>A municipality served by the hub (共同利用: several share one hub).</summary>
public sealed record Municipality(MunicipalityCode Code, string Name, DateTimeOffset CreatedAt);

/// <summary>The operation names a municipality the hub does not have.</summary>
public sealed class UnknownMunicipalityException(MunicipalityCode code)
    : InvalidOperationException($"Municipality {code.Value} is not registered in the hub.")
{
    public MunicipalityCode Code { get; } = code;
}

/// <summary>The municipalities table, and each one's change sequence row created with it.</summary>
public sealed class MunicipalityStore(HubDatabase database)
{
    public const int MaxNameLength = 200;

    /// <summary>Adds a municipality (and its change sequence, starting at 0) in one transaction.</summary>
    /// <exception cref="ArgumentException">The name is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">The municipality exists already.</exception>
    public Task<Municipality> AddAsync(MunicipalityCode code, string name, CancellationToken cancellationToken = default) =>
        AddAsync(code, name, [], cancellationToken);

    /// <summary>As <see cref="AddAsync(MunicipalityCode, string, CancellationToken)"/>, with hub audit entries (e.g. in the new municipality) in the same transaction.</summary>
    public async Task<Municipality> AddAsync(MunicipalityCode code, string name, IReadOnlyList<HubAuditEntry> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        HubAuditStore.Validate(audit);
        var value = code.Value;
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength)
        {
            throw new ArgumentException($"A municipality name is 1 to {MaxNameLength} characters.", nameof(name));
        }
        var municipality = new Municipality(code, name, database.UtcNow);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await HubDatabase.ScalarAsync(connection, transaction, "SELECT name FROM municipalities WHERE code = @code", cancellationToken, ("@code", value)) is not null)
        {
            throw new InvalidOperationException($"Municipality {value} exists already.");
        }
        await HubDatabase.ExecuteAsync(connection, transaction,
            "INSERT INTO municipalities (code, name, created_at) VALUES (@code, @name, @now)", cancellationToken,
            ("@code", value), ("@name", name), ("@now", municipality.CreatedAt));
        await HubDatabase.ExecuteAsync(connection, transaction,
            "INSERT INTO municipality_sequences (municipality, last_seq) VALUES (@code, 0)", cancellationToken, ("@code", value));
        await HubAuditStore.AppendAsync(database, connection, transaction, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return municipality;
    }

    /// <summary>The municipality, or null when the hub does not have it.</summary>
    public async Task<Municipality?> GetAsync(MunicipalityCode code, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync("SELECT code, name, created_at FROM municipalities WHERE code = @code", cancellationToken, ("@code", code.Value));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Every municipality, in code order.</summary>
    public Task<IReadOnlyList<Municipality>> ListAsync(CancellationToken cancellationToken = default) =>
        QueryAsync("SELECT code, name, created_at FROM municipalities ORDER BY code", cancellationToken);

    private async Task<IReadOnlyList<Municipality>> QueryAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null, sql, parameters);
        await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<Municipality>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new Municipality(MunicipalityCode.Parse(reader.GetString(0)), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }
        return result;
    }
}
