using System.Globalization;
using CardAp.Shared.Domain;
using CardAp.Sync;
using CardAp.Sync.Hub;

namespace CardAp.Hub.Store.Sync;

/// <summary>The municipality's feed as a whole: its last change sequence and its tombstone horizon (ADR 0009).</summary>
public sealed record FeedHead(long LastSeq, long Horizon);

/// <summary>
/// A page of the feed: the changes in scope, and <see cref="ThroughSeq"/>, the last sequence
/// considered (in scope or not), which is the terminal's next checkpoint.
/// </summary>
public sealed record FeedPage(IReadOnlyList<MasterRow> Changes, long ThroughSeq, bool HasMore);

/// <summary>
/// A page of a snapshot: live rows in scope, in (kind, key) order, and where the next page
/// continues (null after the last page).
/// </summary>
public sealed record SnapshotChunk(IReadOnlyList<MasterRow> Rows, (string Kind, string Key)? ResumeAfter);

/// <summary>
/// The master data a terminal receives (ADR 0010, "Down"): the municipality's change feed and live
/// set filtered by <see cref="SyncScope"/> for the terminal's services. A page reads at most a
/// bounded number of rows whatever the scope lets through, so a terminal that needs few of a large
/// municipality's rows gets short pages that still move forward, never one unbounded read.
/// </summary>
public sealed class SyncFeed(HubDatabase database, IMasterStore master)
{
    // Reading fewer rows than this per round trip costs more in round trips than in rows.
    private const int MinChunk = 500;

    /// <exception cref="UnknownMunicipalityException">The municipality is not on the hub.</exception>
    public async Task<FeedHead> HeadAsync(MunicipalityCode municipality, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null,
            "SELECT last_seq, purged_seq FROM municipality_sequences WHERE municipality = @municipality", ("@municipality", municipality.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new FeedHead(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture))
            : throw new UnknownMunicipalityException(municipality);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> changes in scope after <paramref name="afterSeq"/>, in sequence
    /// order, reading at most <paramref name="maxScan"/> rows. Safe to checkpoint at ThroughSeq: the
    /// change sequence commits in order (ADR 0006), so no row can later appear at or below it.
    /// </summary>
    public async Task<FeedPage> ChangesAsync(
        MunicipalityCode municipality, IReadOnlySet<string> services, long afterSeq, int limit, int maxScan = SyncLimits.MaxScanRows,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        CheckPage(limit, maxScan);
        var changes = new List<MasterRow>();
        var through = afterSeq;
        var scanned = 0;
        while (true)
        {
            var size = Math.Min(Math.Max(limit, MinChunk), maxScan - scanned);
            if (size <= 0)
            {
                return new FeedPage(changes, through, HasMore: true);
            }
            var chunk = await master.ChangesAfterAsync(municipality, through, size, cancellationToken);
            foreach (var row in chunk)
            {
                if (changes.Count == limit)
                {
                    return new FeedPage(changes, through, HasMore: true);
                }
                scanned++;
                through = row.ChangeSeq;
                if (SyncScope.Includes(services, row.Kind, row.Key, row.Deleted ? null : row.PayloadJson))
                {
                    changes.Add(row);
                }
            }
            if (chunk.Count < size)
            {
                return new FeedPage(changes, through, HasMore: false);
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="limit"/> live rows in scope after (<paramref name="afterKind"/>,
    /// <paramref name="afterKey"/>) (both empty for the first page), reading at most <paramref name="maxScan"/> rows.
    /// </summary>
    public async Task<SnapshotChunk> SnapshotAsync(
        MunicipalityCode municipality, IReadOnlySet<string> services, string afterKind, string afterKey, int limit, int maxScan = SyncLimits.MaxScanRows,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(afterKind);
        ArgumentNullException.ThrowIfNull(afterKey);
        CheckPage(limit, maxScan);
        var rows = new List<MasterRow>();
        var scanned = 0;
        var (lastKind, lastKey) = (afterKind, afterKey);
        while (true)
        {
            var size = Math.Min(Math.Max(limit, MinChunk), maxScan - scanned);
            if (size <= 0)
            {
                return new SnapshotChunk(rows, (lastKind, lastKey));
            }
            var chunk = await LiveAfterAsync(municipality, lastKind, lastKey, size, cancellationToken);
            foreach (var row in chunk)
            {
                if (rows.Count == limit)
                {
                    return new SnapshotChunk(rows, (lastKind, lastKey));
                }
                scanned++;
                (lastKind, lastKey) = (row.Kind, row.Key);
                if (SyncScope.Includes(services, row.Kind, row.Key, row.PayloadJson))
                {
                    rows.Add(row);
                }
            }
            if (chunk.Count < size)
            {
                return new SnapshotChunk(rows, null);
            }
        }
    }

    // Only kinds that can reach a terminal are read: administration kinds (registrations) can be
    // most of a municipality's rows. One kind at a time, in ordinal order of kinds, each an index
    // range (municipality, kind, row_key > @key): a "(kind, key) > (@kind, @key)" over several kinds
    // cannot use the index as a range and read the set again for every page (ADR 0010 benchmark).
    // The comparison and the ORDER BY of row_key use the same collation, so keyset paging is
    // consistent on every engine whatever its string order.
    private async Task<IReadOnlyList<MasterRow>> LiveAfterAsync(MunicipalityCode municipality, string afterKind, string afterKey, int limit, CancellationToken cancellationToken)
    {
        var sql = database.Dialect.Limit(MasterStore.Columns,
            "FROM master_rows WHERE municipality = @municipality AND kind = @kind AND row_key > @key AND deleted = @deleted ORDER BY row_key");
        var rows = new List<MasterRow>();
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var kind in ScopeKinds.Candidates.Where(k => string.CompareOrdinal(k, afterKind) >= 0).Order(StringComparer.Ordinal))
        {
            await using var command = HubDatabase.Command(connection, null, sql, ("@municipality", municipality.Value), ("@kind", kind),
                ("@key", kind == afterKind ? afterKey : string.Empty), ("@deleted", false), ("@limit", limit - rows.Count));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(MasterStore.ReadRow(reader));
            }
            if (rows.Count == limit)
            {
                break;
            }
        }
        return rows;
    }

    private static void CheckPage(int limit, int maxScan)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, SyncLimits.MaxPage);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxScan, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxScan, MasterStore.MaxPageSize);
    }
}
