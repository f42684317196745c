using System.Data.Common;
using System.Text.Json.Nodes;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Store;

/// <summary>
/// One thing an administrator (or the hub itself) did to a municipality's data, to be appended to
/// that municipality's audit. <see cref="Subject"/> is the short "what" for a list (kind/key, a file
/// summary); <see cref="Detail"/> holds the full particulars.
/// </summary>
public sealed record HubAuditEntry(MunicipalityCode Municipality, string Actor, string Action, string? Subject, JsonObject? Detail = null);

/// <summary>An entry as stored: its place in the audit (<see cref="Id"/>, ascending) and when it was written.</summary>
public sealed record HubAuditRecord(long Id, MunicipalityCode Municipality, DateTimeOffset At, string Actor, string Action, string? Subject, string DetailJson)
{
    public JsonObject Detail() => JsonNode.Parse(DetailJson)!.AsObject();
}

/// <summary>
/// The hub audit (hub_audit): append-only, per municipality. Entries are appended on their own, or
/// inside the transaction of the change they describe (<see cref="MasterStore.ApplyAsync(IReadOnlyDictionary{MunicipalityCode, IReadOnlyList{MasterEdit}}, IReadOnlyList{HubAuditEntry}?, CancellationToken)"/>),
/// so a change and its entry commit or roll back together.
/// </summary>
public sealed class HubAuditStore(HubDatabase database)
{
    public const int MaxActorLength = 128;
    public const int MaxActionLength = 64;
    public const int MaxSubjectLength = 256;
    public const int MaxPageSize = 1_000;

    /// <summary>Appends the entries in one transaction of their own.</summary>
    /// <exception cref="ArgumentException">An entry's actor or action is empty or too long.</exception>
    /// <exception cref="UnknownMunicipalityException">An entry names a municipality the hub does not have.</exception>
    public async Task AppendAsync(IReadOnlyList<HubAuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Validate(entries);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AppendAsync(database, connection, transaction, entries, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A municipality's entries, newest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<HubAuditRecord>> ListAsync(MunicipalityCode municipality, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null,
            database.Dialect.Limit("id, municipality, at, actor, action, subject, detail", "FROM hub_audit WHERE municipality = @municipality ORDER BY id DESC"),
            ("@municipality", municipality.Value), ("@limit", limit));
        await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<HubAuditRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new HubAuditRecord(
                reader.GetInt64(0),
                MunicipalityCode.Parse(reader.GetString(1)),
                reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetString(6)));
        }
        return records;
    }

    /// <summary>A subject that fits the column: longer text is cut (the detail keeps the whole of it).</summary>
    public static string Subject(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= MaxSubjectLength)
        {
            return text;
        }
        var cut = MaxSubjectLength - 1;
        if (char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }
        return string.Concat(text.AsSpan(0, cut), "…");
    }

    /// <summary>Refuses entries the table cannot hold, before any transaction starts.</summary>
    internal static void Validate(IReadOnlyList<HubAuditEntry> entries)
    {
        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            if (entry.Municipality == default)
            {
                throw new ArgumentException("An audit entry needs a municipality.", nameof(entries));
            }
            if (string.IsNullOrEmpty(entry.Actor) || entry.Actor.Length > MaxActorLength)
            {
                throw new ArgumentException($"An audit actor is 1 to {MaxActorLength} characters.", nameof(entries));
            }
            if (string.IsNullOrEmpty(entry.Action) || entry.Action.Length > MaxActionLength)
            {
                throw new ArgumentException($"An audit action is 1 to {MaxActionLength} characters.", nameof(entries));
            }
            if (entry.Subject is { Length: > MaxSubjectLength })
            {
                throw new ArgumentException($"An audit subject is at most {MaxSubjectLength} characters (see {nameof(Subject)}).", nameof(entries));
            }
        }
    }

    /// <summary>Appends inside the caller's transaction; the caller has validated the entries.</summary>
    internal static async Task AppendAsync(HubDatabase database, DbConnection connection, DbTransaction transaction, IReadOnlyList<HubAuditEntry> entries, CancellationToken cancellationToken)
    {
        var now = database.UtcNow;
        foreach (var entry in entries)
        {
            // The foreign key would refuse an unknown municipality with an engine-specific error; say it plainly.
            if (await HubDatabase.ScalarAsync(connection, transaction, "SELECT code FROM municipalities WHERE code = @code", cancellationToken, ("@code", entry.Municipality.Value)) is null)
            {
                throw new UnknownMunicipalityException(entry.Municipality);
            }
            await HubDatabase.ExecuteAsync(connection, transaction,
                "INSERT INTO hub_audit (municipality, at, actor, action, subject, detail) VALUES (@municipality, @at, @actor, @action, @subject, @detail)",
                cancellationToken,
                ("@municipality", entry.Municipality.Value), ("@at", now), ("@actor", entry.Actor), ("@action", entry.Action),
                ("@subject", entry.Subject), ("@detail", (entry.Detail ?? new JsonObject()).ToJsonString()));
        }
    }
}
