using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Store;

/// <summary>
/// One master data row: a JSON object payload by (municipality, kind, key), or a tombstone
/// (<see cref="Deleted"/>, no payload). <see cref="ChangeSeq"/> is the municipality's change
/// sequence of the row's last change.
/// </summary>
public sealed record MasterRow(
    MunicipalityCode Municipality, string Kind, string Key, string? PayloadJson, long ChangeSeq, bool Deleted, DateTimeOffset UpdatedAt)
{
    /// <summary>The payload parsed, or null for a tombstone.</summary>
    public JsonObject? Payload() => PayloadJson is null ? null : JsonNode.Parse(PayloadJson)!.AsObject();
}

/// <summary>The outcome of a write: whether it changed anything, and the row's change sequence.</summary>
public readonly record struct MasterWrite(bool Changed, long ChangeSeq);

/// <summary>Master data of every kind, per municipality, with its change feed.</summary>
public interface IMasterStore
{
    /// <summary>Inserts or replaces a row; an identical live row is left alone (no change, no sequence).</summary>
    Task<MasterWrite> UpsertAsync(MunicipalityCode municipality, string kind, string key, JsonObject payload, CancellationToken cancellationToken = default);

    /// <summary>Turns a live row into a tombstone with a new sequence; no change when there is no live row.</summary>
    Task<MasterWrite> DeleteAsync(MunicipalityCode municipality, string kind, string key, CancellationToken cancellationToken = default);

    /// <summary>The live row, or null (none, or a tombstone).</summary>
    Task<MasterRow?> GetAsync(MunicipalityCode municipality, string kind, string key, CancellationToken cancellationToken = default);

    /// <summary>The live rows of a kind, in key order.</summary>
    Task<IReadOnlyList<MasterRow>> ListAsync(MunicipalityCode municipality, string kind, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> rows changed after <paramref name="afterSeq"/>, tombstones included, in sequence order.</summary>
    Task<IReadOnlyList<MasterRow>> ChangesAfterAsync(MunicipalityCode municipality, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>The municipality's last assigned change sequence (0 before the first change).</summary>
    Task<long> LastSequenceAsync(MunicipalityCode municipality, CancellationToken cancellationToken = default);
}

/// <summary>
/// The generic master row table. Every write takes the municipality's next change sequence with an
/// UPDATE of its municipality_sequences row in the same transaction as the row change: the row lock
/// serialises writers of one municipality (across hub processes too) until commit, so sequences are
/// gap-free and commit in sequence order, and a reader of the feed never sees seq N+1 before N.
/// </summary>
public sealed class MasterStore(HubDatabase database) : IMasterStore
{
    public const int MaxKindLength = 64;
    public const int MaxKeyLength = 256;
    public const int MaxPageSize = 10_000;

    private const string Columns = "municipality, kind, row_key, payload, change_seq, deleted, updated_at";

    public async Task<MasterWrite> UpsertAsync(MunicipalityCode municipality, string kind, string key, JsonObject payload, CancellationToken cancellationToken = default)
    {
        Validate(kind, key);
        ArgumentNullException.ThrowIfNull(payload);
        var json = payload.ToJsonString();
        return await WriteAsync(municipality, kind, key, json, cancellationToken);
    }

    public Task<MasterWrite> DeleteAsync(MunicipalityCode municipality, string kind, string key, CancellationToken cancellationToken = default)
    {
        Validate(kind, key);
        return WriteAsync(municipality, kind, key, null, cancellationToken);
    }

    public async Task<MasterRow?> GetAsync(MunicipalityCode municipality, string kind, string key, CancellationToken cancellationToken = default)
    {
        Validate(kind, key);
        var rows = await QueryAsync(
            $"SELECT {Columns} FROM master_rows WHERE municipality = @municipality AND kind = @kind AND row_key = @key AND deleted = @deleted",
            cancellationToken, ("@municipality", municipality.Value), ("@kind", kind), ("@key", key), ("@deleted", false));
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<MasterRow>> ListAsync(MunicipalityCode municipality, string kind, CancellationToken cancellationToken = default)
    {
        Validate(kind, "-");
        return QueryAsync(
            $"SELECT {Columns} FROM master_rows WHERE municipality = @municipality AND kind = @kind AND deleted = @deleted ORDER BY row_key",
            cancellationToken, ("@municipality", municipality.Value), ("@kind", kind), ("@deleted", false));
    }

    public Task<IReadOnlyList<MasterRow>> ChangesAfterAsync(MunicipalityCode municipality, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        return QueryAsync(
            database.Dialect.Limit(Columns, "FROM master_rows WHERE municipality = @municipality AND change_seq > @after ORDER BY change_seq"),
            cancellationToken, ("@municipality", municipality.Value), ("@after", afterSeq), ("@limit", limit));
    }

    public async Task<long> LastSequenceAsync(MunicipalityCode municipality, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await HubDatabase.ScalarAsync(connection, null, "SELECT last_seq FROM municipality_sequences WHERE municipality = @municipality",
            cancellationToken, ("@municipality", municipality.Value)) is { } value
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : throw new UnknownMunicipalityException(municipality);
    }

    // payloadJson null = tombstone. The sequence is taken first: that lock makes the read of the
    // current row and the write one serialised step; a write that changes nothing rolls back, which
    // gives the sequence number back.
    private async Task<MasterWrite> WriteAsync(MunicipalityCode municipality, string kind, string key, string? payloadJson, CancellationToken cancellationToken)
    {
        var code = municipality.Value;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var seq = await HubDatabase.ScalarAsync(connection, transaction, database.Dialect.NextSequence, cancellationToken, ("@municipality", code)) is { } next
            ? Convert.ToInt64(next, CultureInfo.InvariantCulture)
            : throw new UnknownMunicipalityException(municipality);

        await using (var command = HubDatabase.Command(connection, transaction,
            "SELECT payload, change_seq, deleted FROM master_rows WHERE municipality = @municipality AND kind = @kind AND row_key = @key",
            ("@municipality", code), ("@kind", kind), ("@key", key)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                var deleted = reader.GetBoolean(2);
                var unchanged = payloadJson is null
                    ? deleted
                    : !deleted && string.Equals(reader.GetString(0), payloadJson, StringComparison.Ordinal);
                if (unchanged)
                {
                    var current = reader.GetInt64(1);
                    await reader.DisposeAsync();
                    await transaction.RollbackAsync(cancellationToken);
                    return new MasterWrite(false, current);
                }
            }
            else if (payloadJson is null)
            {
                await reader.DisposeAsync();
                await transaction.RollbackAsync(cancellationToken);
                return new MasterWrite(false, 0);
            }
        }

        await HubDatabase.ExecuteAsync(connection, transaction, database.Dialect.UpsertMasterRow, cancellationToken,
            ("@municipality", code), ("@kind", kind), ("@key", key), ("@payload", payloadJson), ("@seq", seq),
            ("@deleted", payloadJson is null), ("@now", database.UtcNow));
        await transaction.CommitAsync(cancellationToken);
        return new MasterWrite(true, seq);
    }

    private async Task<IReadOnlyList<MasterRow>> QueryAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null, sql, parameters);
        await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<MasterRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new MasterRow(
                MunicipalityCode.Parse(reader.GetString(0)),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt64(4),
                reader.GetBoolean(5),
                reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return rows;
    }

    private static void Validate(string kind, string key)
    {
        if (string.IsNullOrEmpty(kind) || kind.Length > MaxKindLength)
        {
            throw new ArgumentException($"kind must be 1 to {MaxKindLength} characters.", nameof(kind));
        }
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"key must be 1 to {MaxKeyLength} characters.", nameof(key));
        }
    }
}
