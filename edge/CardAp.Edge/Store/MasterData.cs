using System.Globalization;
using System.Text.Json;

namespace CardAp.Edge.Store;

/// <summary>
/// Master data: one generic table of JSON rows by (kind, key), read-only for services. Written only
/// by <see cref="Apply"/> (sync) and <see cref="MasterSnapshotImporter"/>. The store does not know
/// the kinds; payloads deserialise with camelCase names (<see cref="StoreJson.Options"/>).
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
                changed += change.IsDelete
                    ? store.Execute("DELETE FROM master_data WHERE kind = $kind AND key = $key AND version <= $version",
                        ("$kind", change.Kind), ("$key", change.Key), ("$version", change.Version))
                    : store.Execute(
                        "INSERT INTO master_data (kind, key, payload, version) VALUES ($kind, $key, $payload, $version) " +
                        "ON CONFLICT (kind, key) DO UPDATE SET payload = excluded.payload, version = excluded.version WHERE excluded.version >= master_data.version",
                        ("$kind", change.Kind), ("$key", change.Key), ("$payload", change.PayloadJson), ("$version", change.Version));
                checkpoint = Math.Max(checkpoint, change.Version);
            }
            store.SetState(StateKeys.MasterCheckpoint, checkpoint.ToString(CultureInfo.InvariantCulture));
            return (changed, BumpVersion(store));
        });
        database.MasterVersionCommitted(version);
        return changed;
    }

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
