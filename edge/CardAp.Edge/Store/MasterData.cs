using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CardAp.Edge.Store;

/// <summary>
/// Master data: one generic table of JSON rows by (kind, key), read-only for services. Written only
/// by sync (<see cref="ApplyPage"/>, a staged snapshot through <see cref="BeginSnapshot"/>,
/// <see cref="StageSnapshot"/> and <see cref="CommitSnapshot"/>), <see cref="Apply"/> and
/// <see cref="MasterSnapshotImporter"/>. The store does not know the kinds; payloads deserialise
/// with camelCase names (<see cref="StoreJson.Options"/>).
/// </summary>
public sealed class MasterData(EdgeDatabase database)
{
    public const int MaxKindLength = 64;
    public const int MaxKeyLength = 256;

    /// <summary>
    /// Changes whenever master data changes (an import or an applied batch); cheap to read, so
    /// callers can cache what they derive from master data and rebuild when this moves.
    /// </summary>
    public long Version => database.MasterVersion;

    /// <summary>The hub change sequence through which changes were applied (sync's checkpoint; a snapshot sets its own).</summary>
    public long Checkpoint => database.Read(session =>
        session.State(StateKeys.MasterCheckpoint) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : 0);

    /// <summary>
    /// The hub's id of the scope (the terminal's services) the current set was built for, or null
    /// when the set did not come from a hub snapshot (a snapshot file, or nothing yet).
    /// </summary>
    public string? Scope => database.Read(session => session.State(StateKeys.MasterScope) is { Length: > 0 } scope ? scope : null);

    /// <summary>True when no master data has been imported or synced yet.</summary>
    public bool IsEmpty => database.Read(session => session.Scalar("SELECT EXISTS (SELECT 1 FROM master_data)") is 0L);

    /// <summary>The number of rows, of one kind or of all.</summary>
    public int Count(string? kind = null) => database.Read(session => Convert.ToInt32(
        kind is null
            ? session.Scalar("SELECT count(*) FROM master_data")
            : session.Scalar("SELECT count(*) FROM master_data WHERE kind = $kind", ("$kind", kind)),
        CultureInfo.InvariantCulture));

    /// <summary>The row of this kind and key, deserialised; null (default) when there is none.</summary>
    /// <exception cref="InvalidDataException">The stored payload does not fit <typeparamref name="T"/>.</exception>
    public T? Get<T>(string kind, string key)
    {
        var json = GetJson(kind, key);
        return json is null ? default : Deserialize<T>(kind, key, json);
    }

    /// <summary>The stored JSON payload of this kind and key, or null.</summary>
    public string? GetJson(string kind, string key)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(key);
        return database.Read(session => (string?)session.Scalar("SELECT payload FROM master_data WHERE kind = $kind AND key = $key", ("$kind", kind), ("$key", key)));
    }

    /// <summary>Every row of a kind, deserialised, in key order.</summary>
    /// <exception cref="InvalidDataException">A stored payload does not fit <typeparamref name="T"/>.</exception>
    public IReadOnlyList<T> All<T>(string kind) => [.. Rows(kind).Select(row => Deserialize<T>(row.Kind, row.Key, row.PayloadJson)!)];

    /// <summary>Every row of a kind as stored, in key order.</summary>
    public IReadOnlyList<MasterRow> Rows(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return database.Read(session =>
        {
            using var reader = session.Reader("SELECT key, payload, version FROM master_data WHERE kind = $kind ORDER BY key", ("$kind", kind));
            var rows = new List<MasterRow>();
            while (reader.Read())
            {
                rows.Add(new MasterRow(kind, reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
            return rows;
        });
    }

    /// <summary>
    /// Applies hub changes in one transaction (all or nothing): upserts, and deletes for tombstones.
    /// A change older than the stored row is skipped. The checkpoint moves to the highest change
    /// version seen, in the same transaction. Returns how many rows changed.
    /// </summary>
    /// <exception cref="ArgumentException">A change is malformed (named by its index); nothing was applied.</exception>
    public int Apply(IEnumerable<MasterChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var batch = changes.ToList();
        for (var i = 0; i < batch.Count; i++)
        {
            if (Problem(batch[i], i) is { } problem)
            {
                throw new ArgumentException(problem, nameof(changes));
            }
        }
        if (batch.Count == 0)
        {
            return 0;
        }
        var (changed, version) = database.Write(store =>
        {
            var changed = 0;
            var checkpoint = ReadLong(store, StateKeys.MasterCheckpoint);
            foreach (var change in batch)
            {
                changed += Upsert(store, change);
                checkpoint = Math.Max(checkpoint, change.Version);
            }
            store.SetState(StateKeys.MasterCheckpoint, checkpoint.ToString(CultureInfo.InvariantCulture));
            return (changed, BumpVersion(store));
        });
        database.MasterVersionCommitted(version);
        return changed;
    }

    /// <summary>
    /// Applies one page of the hub's change feed and moves the checkpoint to
    /// <paramref name="throughSeq"/> in the same transaction (all or nothing). The page was asked
    /// for after <paramref name="afterSeq"/>: if the checkpoint is no longer there (a snapshot or an
    /// import replaced the set meanwhile) nothing is applied. <paramref name="throughSeq"/> may lie
    /// beyond the last change (the hub considered changes outside this terminal's scope), and an
    /// empty page still moves the checkpoint. Returns how many rows changed.
    /// </summary>
    /// <exception cref="ArgumentException">A change is malformed or outside (<paramref name="afterSeq"/>, <paramref name="throughSeq"/>]; nothing was applied.</exception>
    /// <exception cref="StoreException">The checkpoint is not <paramref name="afterSeq"/>; nothing was applied.</exception>
    public int ApplyPage(long afterSeq, IReadOnlyList<MasterChange> changes, long throughSeq)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        if (throughSeq < afterSeq)
        {
            throw new ArgumentOutOfRangeException(nameof(throughSeq), throughSeq, $"A page after {afterSeq} cannot end at {throughSeq}.");
        }
        for (var i = 0; i < changes.Count; i++)
        {
            if (Problem(changes[i], i) is { } problem)
            {
                throw new ArgumentException(problem, nameof(changes));
            }
            if (changes[i].Version <= afterSeq || changes[i].Version > throughSeq)
            {
                throw new ArgumentException(
                    $"Master change {i} ({changes[i].Kind}/{changes[i].Key}) has sequence {changes[i].Version}, outside the page ({afterSeq}, {throughSeq}].", nameof(changes));
            }
        }
        var (changed, version) = database.Write(store =>
        {
            var checkpoint = ReadLong(store, StateKeys.MasterCheckpoint);
            if (checkpoint != afterSeq)
            {
                throw new StoreException(
                    $"The master data checkpoint is {checkpoint}, not {afterSeq} as when the page was requested: the set was replaced meanwhile. Nothing was applied.");
            }
            var changed = 0;
            foreach (var change in changes)
            {
                changed += Upsert(store, change);
            }
            store.SetState(StateKeys.MasterCheckpoint, throughSeq.ToString(CultureInfo.InvariantCulture));
            // An empty page only moves the checkpoint; readers' caches stay valid.
            return (changed, changes.Count > 0 ? BumpVersion(store) : 0);
        });
        if (version > 0)
        {
            database.MasterVersionCommitted(version);
        }
        return changed;
    }

    /// <summary>
    /// Starts a staged snapshot: empties the staging table and returns the token that
    /// <see cref="StageSnapshot"/> and <see cref="CommitSnapshot"/> must present. The current set
    /// stays in use until the commit.
    /// </summary>
    public string BeginSnapshot()
    {
        var token = Guid.NewGuid().ToString("N");
        database.Write(store =>
        {
            store.Execute("DELETE FROM master_staging");
            store.SetState(StateKeys.MasterStaging, token);
            return 0;
        });
        return token;
    }

    /// <summary>
    /// Adds one page of snapshot rows (live rows only; <see cref="MasterChange.Version"/> is the
    /// row's change sequence) to the staging table, in one transaction. Returns the rows of this
    /// page (counting the whole staging table per page would make a large snapshot quadratic).
    /// </summary>
    /// <exception cref="ArgumentException">A row is malformed or a tombstone; nothing of this page was staged.</exception>
    /// <exception cref="StoreException">The staging belongs to another snapshot or was discarded (restart).</exception>
    public int StageSnapshot(string token, IReadOnlyList<MasterChange> rows)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentNullException.ThrowIfNull(rows);
        for (var i = 0; i < rows.Count; i++)
        {
            if (Problem(rows[i], i) is { } problem)
            {
                throw new ArgumentException(problem, nameof(rows));
            }
            if (rows[i].IsDelete)
            {
                throw new ArgumentException($"Snapshot row {i} ({rows[i].Kind}/{rows[i].Key}) is a tombstone; a snapshot holds live rows only.", nameof(rows));
            }
        }
        return database.Write(store =>
        {
            RequireStaging(store, token);
            var insert = store.Command(
                "INSERT INTO master_staging (kind, key, payload, version) VALUES ($kind, $key, $payload, $version) " +
                "ON CONFLICT (kind, key) DO UPDATE SET payload = excluded.payload, version = excluded.version WHERE excluded.version >= master_staging.version");
            var kind = insert.Parameters.Add("$kind", Microsoft.Data.Sqlite.SqliteType.Text);
            var key = insert.Parameters.Add("$key", Microsoft.Data.Sqlite.SqliteType.Text);
            var payload = insert.Parameters.Add("$payload", Microsoft.Data.Sqlite.SqliteType.Text);
            var version = insert.Parameters.Add("$version", Microsoft.Data.Sqlite.SqliteType.Integer);
            foreach (var row in rows)
            {
                kind.Value = row.Kind;
                key.Value = row.Key;
                payload.Value = row.PayloadJson;
                version.Value = row.Version;
                insert.ExecuteNonQuery();
            }
            return rows.Count;
        });
    }

    /// <summary>
    /// Replaces the whole master set with the staged rows in one transaction, together with the
    /// checkpoint (<paramref name="asOfSeq"/>), the scope the set was built for, the municipality
    /// and a "master-data-synced" audit entry; empties the staging. Returns the number of rows.
    /// </summary>
    /// <exception cref="StoreException">
    /// The staging belongs to another snapshot or was discarded, the set is of another
    /// municipality, or the staged set is empty while the terminal holds master data (it would
    /// erase it); nothing was changed.
    /// </exception>
    public long CommitSnapshot(string token, long asOfSeq, string scope, string municipality, DateTimeOffset localTime, string? reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentOutOfRangeException.ThrowIfNegative(asOfSeq);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(municipality);
        var (rows, version) = database.Write(store =>
        {
            RequireStaging(store, token);
            var stored = store.State(StateKeys.MasterMunicipality);
            if (stored is not null && stored != municipality)
            {
                throw new StoreException($"This terminal holds master data of municipality {stored}; the hub's snapshot is for {municipality}. Nothing was changed.");
            }
            var rows = (long)store.Scalar("SELECT count(*) FROM master_staging")!;
            var replaced = (long)store.Scalar("SELECT count(*) FROM master_data")!;
            if (rows == 0 && replaced > 0)
            {
                throw new StoreException($"The hub's snapshot holds no rows; replacing the terminal's {replaced} rows with it would leave it unable to identify anyone. Nothing was changed.");
            }
            var kinds = new JsonObject();
            using (var reader = store.Reader("SELECT kind, count(*) FROM master_staging GROUP BY kind ORDER BY kind"))
            {
                while (reader.Read())
                {
                    kinds[reader.GetString(0)] = reader.GetInt64(1);
                }
            }
            store.Execute("DELETE FROM master_data");
            store.Execute("INSERT INTO master_data (kind, key, payload, version) SELECT kind, key, payload, version FROM master_staging");
            store.Execute("DELETE FROM master_staging");
            store.Execute("DELETE FROM sync_state WHERE key = $key", ("$key", StateKeys.MasterStaging));
            store.SetState(StateKeys.MasterCheckpoint, asOfSeq.ToString(CultureInfo.InvariantCulture));
            store.SetState(StateKeys.MasterScope, scope);
            store.SetState(StateKeys.MasterMunicipality, municipality);
            var at = RecordValidation.Time(localTime);
            store.SetState(StateKeys.MasterSnapshot, new JsonObject
            {
                ["source"] = "hub",
                ["importedAt"] = at,
                ["sequence"] = asOfSeq,
                ["scope"] = scope,
                ["rows"] = rows,
            }.ToJsonString(StoreJson.Options));
            var version = BumpVersion(store);
            PreparedAudit.From(new AuditEntry(localTime, SnapshotAuditAction, AuditEntry.Ok, null, municipality, new JsonObject
            {
                ["sequence"] = asOfSeq,
                ["scope"] = scope,
                ["reason"] = reason,
                ["rows"] = rows,
                ["replacedRows"] = replaced,
                ["kinds"] = kinds,
            })).AppendTo(store);
            return (rows, version);
        });
        database.MasterVersionCommitted(version);
        return rows;
    }

    /// <summary>The audit action of a master set replaced by a hub snapshot.</summary>
    public const string SnapshotAuditAction = "master-data-synced";

    private static void RequireStaging(StoreSession store, string token)
    {
        if (store.State(StateKeys.MasterStaging) != token)
        {
            throw new StoreException("The staged master snapshot was discarded (the edge restarted or another snapshot began); it must be taken again from its first page.");
        }
    }

    private static int Upsert(StoreSession store, MasterChange change) => change.IsDelete
        ? store.Execute("DELETE FROM master_data WHERE kind = $kind AND key = $key AND version <= $version",
            ("$kind", change.Kind), ("$key", change.Key), ("$version", change.Version))
        : store.Execute(
            "INSERT INTO master_data (kind, key, payload, version) VALUES ($kind, $key, $payload, $version) " +
            "ON CONFLICT (kind, key) DO UPDATE SET payload = excluded.payload, version = excluded.version WHERE excluded.version >= master_data.version",
            ("$kind", change.Kind), ("$key", change.Key), ("$payload", change.PayloadJson), ("$version", change.Version));

    internal static long BumpVersion(StoreSession store)
    {
        var version = ReadLong(store, StateKeys.MasterVersion) + 1;
        store.SetState(StateKeys.MasterVersion, version.ToString(CultureInfo.InvariantCulture));
        return version;
    }

    internal static void ValidateKindAndKey(string? kind, string? key, Func<string, Exception> error)
    {
        if (string.IsNullOrEmpty(kind) || kind.Length > MaxKindLength)
        {
            throw error($"kind must be 1 to {MaxKindLength} characters");
        }
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
        {
            throw error($"key must be 1 to {MaxKeyLength} characters");
        }
    }

    private static long ReadLong(StoreSession store, string key) =>
        store.State(key) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;

    private static string? Problem(MasterChange? change, int index)
    {
        if (change is null)
        {
            return $"Master change {index} is null.";
        }
        if (string.IsNullOrEmpty(change.Kind) || change.Kind.Length > MaxKindLength || string.IsNullOrEmpty(change.Key) || change.Key.Length > MaxKeyLength)
        {
            return $"Master change {index} ({change.Kind}/{change.Key}): kind must be 1 to {MaxKindLength} and key 1 to {MaxKeyLength} characters.";
        }
        if (change.Version < 0)
        {
            return $"Master change {index} ({change.Kind}/{change.Key}): version must not be negative.";
        }
        if (change.PayloadJson is { } json)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return $"Master change {index} ({change.Kind}/{change.Key}): payload must be a JSON object, got {document.RootElement.ValueKind}.";
                }
            }
            catch (JsonException e)
            {
                return $"Master change {index} ({change.Kind}/{change.Key}): payload is not valid JSON: {e.Message}";
            }
        }
        return null;
    }

    private static T? Deserialize<T>(string kind, string key, string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, StoreJson.Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Master data {kind}/{key} does not fit {typeof(T).Name}: {e.Message}", e);
        }
    }
}
