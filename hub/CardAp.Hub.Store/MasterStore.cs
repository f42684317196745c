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

/// <summary>One edit of a batch: an upsert (a payload) or a delete (no payload: a tombstone).</summary>
public sealed record MasterEdit(string Kind, string Key, JsonObject? Payload)
{
    /// <summary>
    /// When set, the edit applies only if the row's live change sequence is still this one (0: no live
    /// row), else the whole batch is refused with <see cref="MasterConflictException"/>. For a change
    /// decided on rows read earlier, which a concurrent writer may have changed since.
    /// </summary>
    public long? ExpectedSeq { get; init; }

    public static MasterEdit Upsert(string kind, string key, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return new(kind, key, payload);
    }

    public static MasterEdit Delete(string kind, string key) => new(kind, key, null);
}

/// <summary>An edit's <see cref="MasterEdit.ExpectedSeq"/> no longer held: the row changed since it was read; nothing was written.</summary>
public sealed class MasterConflictException(MunicipalityCode municipality, string kind, string key, long expectedSeq, long actualSeq)
    : InvalidOperationException($"Master row {municipality.Value} {kind}/{key} is at change {actualSeq}, not {expectedSeq} as expected: it changed concurrently.")
{
    public MunicipalityCode Municipality { get; } = municipality;
    public string Kind { get; } = kind;
    public string Key { get; } = key;
    public long ExpectedSeq { get; } = expectedSeq;
    public long ActualSeq { get; } = actualSeq;
}

/// <summary>Master data of every kind, per municipality, with its change feed.</summary>
public interface IMasterStore
{
    /// <summary>Inserts or replaces a row; an identical live row is left alone (no change, no sequence).</summary>
    Task<MasterWrite> UpsertAsync(MunicipalityCode municipality, string kind, string key, JsonObject payload, CancellationToken cancellationToken = default);

    /// <summary>Turns a live row into a tombstone with a new sequence; no change when there is no live row.</summary>
    Task<MasterWrite> DeleteAsync(MunicipalityCode municipality, string kind, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies edits in order in one transaction (all or nothing), each as <see cref="UpsertAsync"/> or
    /// <see cref="DeleteAsync"/> would; the results are in the edits' order.
    /// </summary>
    Task<IReadOnlyList<MasterWrite>> ApplyAsync(MunicipalityCode municipality, IReadOnlyList<MasterEdit> edits, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies edits to several municipalities in one transaction (all or nothing), e.g. a resident
    /// moving between two municipalities of the hub (引越継続): a tombstone in one, an upsert in the other.
    /// </summary>
    Task<IReadOnlyDictionary<MunicipalityCode, IReadOnlyList<MasterWrite>>> ApplyAsync(
        IReadOnlyDictionary<MunicipalityCode, IReadOnlyList<MasterEdit>> edits, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ApplyAsync(MunicipalityCode, IReadOnlyList{MasterEdit}, CancellationToken)"/>, and appends
    /// <paramref name="audit"/> to the hub audit in the same transaction when the edits changed something
    /// (an edit that changes nothing leaves no entry).
    /// </summary>
    Task<IReadOnlyList<MasterWrite>> ApplyAsync(MunicipalityCode municipality, IReadOnlyList<MasterEdit> edits, IReadOnlyList<HubAuditEntry> audit, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ApplyAsync(IReadOnlyDictionary{MunicipalityCode, IReadOnlyList{MasterEdit}}, CancellationToken)"/>, and appends
    /// <paramref name="audit"/> (to any municipalities) in the same transaction when the edits changed something.
    /// </summary>
    Task<IReadOnlyDictionary<MunicipalityCode, IReadOnlyList<MasterWrite>>> ApplyAsync(
        IReadOnlyDictionary<MunicipalityCode, IReadOnlyList<MasterEdit>> edits, IReadOnlyList<HubAuditEntry> audit, CancellationToken cancellationToken = default);

    /// <summary>The live row, or null (none, or a tombstone).</summary>
    Task<MasterRow?> GetAsync(MunicipalityCode municipality, string kind, string key, CancellationToken cancellationToken = default);

    /// <summary>The live rows of a kind, in key order.</summary>
    Task<IReadOnlyList<MasterRow>> ListAsync(MunicipalityCode municipality, string kind, CancellationToken cancellationToken = default);

    /// <summary>The live rows of a kind whose key starts with <paramref name="keyPrefix"/> (ordinal), in key order: e.g. one card's registrations, "C-0001/".</summary>
    Task<IReadOnlyList<MasterRow>> ListByKeyPrefixAsync(MunicipalityCode municipality, string kind, string keyPrefix, CancellationToken cancellationToken = default);

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

    /// <summary>The columns <see cref="ReadRow"/> reads, in its order.</summary>
    internal const string Columns = "municipality, kind, row_key, payload, change_seq, deleted, updated_at";

    public async Task<MasterWrite> UpsertAsync(MunicipalityCode municipality, string kind, string key, JsonObject payload, CancellationToken cancellationToken = default) =>
        (await ApplyAsync(municipality, [MasterEdit.Upsert(kind, key, payload)], cancellationToken))[0];

    public async Task<MasterWrite> DeleteAsync(MunicipalityCode municipality, string kind, string key, CancellationToken cancellationToken = default) =>
        (await ApplyAsync(municipality, [MasterEdit.Delete(kind, key)], cancellationToken))[0];

    public Task<IReadOnlyList<MasterWrite>> ApplyAsync(MunicipalityCode municipality, IReadOnlyList<MasterEdit> edits, CancellationToken cancellationToken = default) =>
        ApplyAsync(municipality, edits, [], cancellationToken);

    public async Task<IReadOnlyList<MasterWrite>> ApplyAsync(MunicipalityCode municipality, IReadOnlyList<MasterEdit> edits, IReadOnlyList<HubAuditEntry> audit, CancellationToken cancellationToken = default) =>
        (await ApplyAsync(new Dictionary<MunicipalityCode, IReadOnlyList<MasterEdit>> { [municipality] = edits }, audit, cancellationToken))[municipality];

    public Task<IReadOnlyDictionary<MunicipalityCode, IReadOnlyList<MasterWrite>>> ApplyAsync(
        IReadOnlyDictionary<MunicipalityCode, IReadOnlyList<MasterEdit>> edits, CancellationToken cancellationToken = default) =>
        ApplyAsync(edits, [], cancellationToken);

    // Each municipality's sequence row is locked first (in code order, so two multi-municipality
    // writers cannot deadlock): that makes reading the current rows and writing them one serialised
    // step. Each edit that changes something takes the next number; the total is added to last_seq
    // at the end. When nothing changes the transaction rolls back, giving the locks back.
    public async Task<IReadOnlyDictionary<MunicipalityCode, IReadOnlyList<MasterWrite>>> ApplyAsync(
        IReadOnlyDictionary<MunicipalityCode, IReadOnlyList<MasterEdit>> edits, IReadOnlyList<HubAuditEntry> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edits);
        ArgumentNullException.ThrowIfNull(audit);
        HubAuditStore.Validate(audit);
        var batches = new List<(MunicipalityCode Municipality, List<(MasterEdit Edit, string? Json)> Edits)>();
        foreach (var (municipality, list) in edits.OrderBy(pair => pair.Key.Value, StringComparer.Ordinal))
        {
            ArgumentNullException.ThrowIfNull(list, nameof(edits));
            var batch = new List<(MasterEdit Edit, string? Json)>(list.Count);
            foreach (var edit in list)
            {
                ArgumentNullException.ThrowIfNull(edit, nameof(edits));
                Validate(edit.Kind, edit.Key);
                if (edit.ExpectedSeq is < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(edits), edit.ExpectedSeq, "An expected change sequence is 0 (no live row) or more.");
                }
                batch.Add((edit, edit.Payload?.ToJsonString()));
            }
            batches.Add((municipality, batch));
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var firsts = new List<long>(batches.Count);
        foreach (var (municipality, _) in batches)
        {
            firsts.Add(await AdvanceAsync(connection, transaction, municipality, 0, cancellationToken));
        }
        var now = database.UtcNow;
        var results = new Dictionary<MunicipalityCode, IReadOnlyList<MasterWrite>>();
        var changed = false;
        for (var b = 0; b < batches.Count; b++)
        {
            var (municipality, batch) = batches[b];
            var code = municipality.Value;
            var seq = firsts[b];
            var writes = new List<MasterWrite>(batch.Count);
            foreach (var (edit, json) in batch)
            {
                var current = await CurrentAsync(connection, transaction, code, edit.Kind, edit.Key, cancellationToken);
                var liveSeq = current is { Deleted: false } ? current.Value.Seq : 0;
                if (edit.ExpectedSeq is { } expected && expected != liveSeq)
                {
                    throw new MasterConflictException(municipality, edit.Kind, edit.Key, expected, liveSeq);
                }
                var unchanged = json is null
                    ? current is null || current.Value.Deleted
                    : current is { Deleted: false } live && string.Equals(live.Payload, json, StringComparison.Ordinal);
                if (unchanged)
                {
                    writes.Add(new MasterWrite(false, current?.Seq ?? 0));
                    continue;
                }
                seq++;
                await HubDatabase.ExecuteAsync(connection, transaction, database.Dialect.UpsertMasterRow, cancellationToken,
                    ("@municipality", code), ("@kind", edit.Kind), ("@key", edit.Key), ("@payload", json), ("@seq", seq),
                    ("@deleted", json is null), ("@now", now));
                writes.Add(new MasterWrite(true, seq));
            }
            if (seq > firsts[b])
            {
                await AdvanceAsync(connection, transaction, municipality, seq - firsts[b], cancellationToken);
                changed = true;
            }
            results[municipality] = writes;
        }
        if (changed)
        {
            await HubAuditStore.AppendAsync(database, connection, transaction, audit, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        else
        {
            await transaction.RollbackAsync(cancellationToken);
        }
        return results;
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

    public async Task<IReadOnlyList<MasterRow>> ListByKeyPrefixAsync(MunicipalityCode municipality, string kind, string keyPrefix, CancellationToken cancellationToken = default)
    {
        Validate(kind, keyPrefix);
        // LIKE narrows the rows in the database; its case rules differ by engine (SQLite ignores ASCII
        // case), so the ordinal test below is what decides.
        var pattern = keyPrefix.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal).Replace("[", @"\[", StringComparison.Ordinal) + "%";
        var rows = await QueryAsync(
            $@"SELECT {Columns} FROM master_rows WHERE municipality = @municipality AND kind = @kind AND deleted = @deleted AND row_key LIKE @pattern ESCAPE '\' ORDER BY row_key",
            cancellationToken, ("@municipality", municipality.Value), ("@kind", kind), ("@deleted", false), ("@pattern", pattern));
        return rows.Where(r => r.Key.StartsWith(keyPrefix, StringComparison.Ordinal)).ToList();
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

    private async Task<long> AdvanceAsync(DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, long by, CancellationToken cancellationToken) =>
        await HubDatabase.ScalarAsync(connection, transaction, database.Dialect.AdvanceSequence, cancellationToken,
            ("@municipality", municipality.Value), ("@by", by)) is { } value
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : throw new UnknownMunicipalityException(municipality);

    private static async Task<(string? Payload, long Seq, bool Deleted)?> CurrentAsync(
        DbConnection connection, DbTransaction transaction, string municipality, string kind, string key, CancellationToken cancellationToken)
    {
        await using var command = HubDatabase.Command(connection, transaction,
            "SELECT payload, change_seq, deleted FROM master_rows WHERE municipality = @municipality AND kind = @kind AND row_key = @key",
            ("@municipality", municipality), ("@kind", kind), ("@key", key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1), reader.GetBoolean(2));
    }

    private async Task<IReadOnlyList<MasterRow>> QueryAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null, sql, parameters);
        await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<MasterRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(ReadRow(reader));
        }
        return rows;
    }

    /// <summary>A row of a query that selected <see cref="Columns"/>.</summary>
    internal static MasterRow ReadRow(DbDataReader reader) => new(
        MunicipalityCode.Parse(reader.GetString(0)),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetInt64(4),
        reader.GetBoolean(5),
        reader.GetFieldValue<DateTimeOffset>(6));

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
