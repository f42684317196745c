using System.Globalization;

namespace CardAp.Edge.Store;

/// <summary>
/// Sync state: the outbox backlog per stream, the hub's acknowledgements, the last successful sync,
/// and a small key/value store for the sync engine (keys the store owns are refused).
/// </summary>
public sealed class OutboxState(EdgeDatabase database)
{
    /// <summary>The backlog of every stream, in <see cref="OutboxStreams.All"/> order.</summary>
    public IReadOnlyList<OutboxBacklog> Backlog() =>
        database.Read(session => OutboxStreams.All.Select(stream => Backlog(session, stream)).ToList());

    /// <summary>The backlog of one stream.</summary>
    public OutboxBacklog Backlog(string stream)
    {
        OutboxStreams.Table(stream);
        return database.Read(session => Backlog(session, stream));
    }

    /// <summary>The sequence numbers still to send, in order.</summary>
    public IReadOnlyList<long> Pending(string stream, int limit = 1000)
    {
        OutboxStreams.Table(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return database.Read(session =>
        {
            using var reader = session.Reader("SELECT seq FROM outbox WHERE stream = $stream ORDER BY seq LIMIT $limit", ("$stream", stream), ("$limit", limit));
            var result = new List<long>();
            while (reader.Read())
            {
                result.Add(reader.GetInt64(0));
            }
            return result;
        });
    }

    /// <summary>The position the hub acknowledged for a stream (0 before the first acknowledgement).</summary>
    public long AcknowledgedThrough(string stream)
    {
        OutboxStreams.Table(stream);
        return GetState(StateKeys.Ack(stream)) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>
    /// The hub stored a stream's records through <paramref name="throughSeq"/>: removes those outbox
    /// entries and remembers the position, in one transaction. An acknowledgement behind the stored
    /// position changes nothing; one beyond the last record written is refused (the hub cannot hold
    /// what was never sent). Returns how many outbox entries were removed.
    /// </summary>
    public int Acknowledge(string stream, long throughSeq)
    {
        var table = OutboxStreams.Table(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(throughSeq);
        return database.Write(store =>
        {
            var last = (long)store.Scalar($"SELECT coalesce(max(seq), 0) FROM {table}")!;
            if (throughSeq > last)
            {
                throw new ArgumentOutOfRangeException(nameof(throughSeq), throughSeq,
                    $"The hub acknowledged {stream} through {throughSeq}, but this terminal has written only up to {last}.");
            }
            var key = StateKeys.Ack(stream);
            var acknowledged = store.State(key) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;
            if (throughSeq <= acknowledged)
            {
                return 0;
            }
            var removed = store.Execute("DELETE FROM outbox WHERE stream = $stream AND seq <= $through", ("$stream", stream), ("$through", throughSeq));
            store.SetState(key, throughSeq.ToString(CultureInfo.InvariantCulture));
            return removed;
        });
    }

    /// <summary>When the last sync with the hub completed, or null.</summary>
    public DateTimeOffset? LastSync =>
        GetState(StateKeys.LastSync) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;

    /// <summary>Records a completed sync.</summary>
    public void RecordSync(DateTimeOffset at)
    {
        var text = at.ToString("O", CultureInfo.InvariantCulture);
        database.Write(store =>
        {
            store.SetState(StateKeys.LastSync, text);
            return 0;
        });
    }

    /// <summary>
    /// After a restore from backup (ADR 0004): where each stream ended in the backup, or null when
    /// no restore awaits reconciliation with the hub. A stream without a recorded end is 0.
    /// </summary>
    public IReadOnlyDictionary<string, long>? RestoredThrough()
    {
        if (GetState(StateKeys.RestorePending) is not { } text)
        {
            return null;
        }
        var result = OutboxStreams.All.ToDictionary(s => s, _ => 0L, StringComparer.Ordinal);
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(text)?["lastSeq"] is System.Text.Json.Nodes.JsonObject lastSeq)
            {
                foreach (var stream in OutboxStreams.All)
                {
                    result[stream] = lastSeq[stream]?.GetValue<long>() ?? 0;
                }
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            // An unreadable mark counts as "nothing known": every stream is then checked against 0, the strictest reading.
        }
        return result;
    }

    /// <summary>Sync found the restored database consistent with the hub: the restore mark goes.</summary>
    public void ClearRestorePending() => database.Write(store =>
        store.Execute("DELETE FROM sync_state WHERE key = $key", ("$key", StateKeys.RestorePending)));

    /// <summary>A sync_state value, or null.</summary>
    public string? GetState(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return database.Read(session => session.State(key));
    }

    /// <summary>Stores a sync_state value (for the sync engine); keys the store owns are refused.</summary>
    public void SetState(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (StateKeys.IsReserved(key))
        {
            throw new ArgumentException($"sync_state key '{key}' belongs to the store; it changes only through its own methods.", nameof(key));
        }
        database.Write(store =>
        {
            store.SetState(key, value);
            return 0;
        });
    }

    private static OutboxBacklog Backlog(StoreSession session, string stream)
    {
        var table = OutboxStreams.Table(stream);
        // One statement: one consistent snapshot.
        using var reader = session.Reader(
            "SELECT (SELECT count(*) FROM outbox WHERE stream = $stream), " +
            $"(SELECT t.local_time FROM {table} t WHERE t.seq = (SELECT min(seq) FROM outbox WHERE stream = $stream)), " +
            $"(SELECT coalesce(max(seq), 0) FROM {table}), " +
            "(SELECT value FROM sync_state WHERE key = $ack)",
            ("$stream", stream), ("$ack", StateKeys.Ack(stream)));
        reader.Read();
        return new OutboxBacklog(
            stream,
            reader.GetInt64(0),
            reader.IsDBNull(1) ? null : RecordValidation.ParseTime(reader.GetString(1)),
            reader.GetInt64(2),
            reader.IsDBNull(3) ? 0 : long.Parse(reader.GetString(3), CultureInfo.InvariantCulture));
    }
}
