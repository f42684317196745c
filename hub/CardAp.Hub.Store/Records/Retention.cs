using CardAp.Shared.Hours;
using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Store.Records;

/// <summary>How long the hub keeps usage records (by local day) and master-data tombstones.</summary>
public sealed record RetentionPolicy(int RecordDays, int TombstoneDays);

/// <summary>
/// What one purge removed (or, in a dry run, would remove) in one municipality. <see cref="Uploads"/>
/// counts the terminals' records as uploaded (transactions, audit, telemetry, quarantine, hub decisions),
/// which carry card and member numbers and go with the usage records of the same age.
/// </summary>
public sealed record MunicipalityPurge(MunicipalityCode Municipality, long Records, long Tombstones, long PurgedThroughSeq, long Uploads = 0);

/// <summary>
/// A retention run: records of local days before <see cref="RecordsBefore"/> and tombstones last
/// changed before <see cref="TombstonesBefore"/>, per municipality (only those with something to purge).
/// </summary>
public sealed record RetentionResult(DateOnly RecordsBefore, DateTimeOffset TombstonesBefore, bool DryRun, IReadOnlyList<MunicipalityPurge> Municipalities)
{
    public long Records => Municipalities.Sum(m => m.Records);
    public long Tombstones => Municipalities.Sum(m => m.Tombstones);
    public long Uploads => Municipalities.Sum(m => m.Uploads);
}

/// <summary>
/// Purges usage records and tombstones older than the policy, one transaction per municipality.
/// A purged tombstone is a delete an edge can no longer learn from the change feed, so the
/// highest purged sequence is kept (<see cref="PurgedThroughAsync"/>): an edge behind it must
/// take a full snapshot instead of the feed. The terminals' uploads (sync, ADR 0010) received
/// before the records' cut-off go with them; the stream positions stay, so sync is unaffected.
/// </summary>
public sealed class Retention(HubDatabase database)
{
    public const int MinRecordDays = 31;
    public const int MinTombstoneDays = 7;

    /// <summary>Purges (or with <paramref name="dryRun"/> counts) in every municipality, or only in <paramref name="only"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The policy keeps less than <see cref="MinRecordDays"/> days of records or <see cref="MinTombstoneDays"/> of tombstones.</exception>
    /// <remarks>A run that purged something is written in each affected municipality's audit as "retention.purge" by <paramref name="actor"/>.</remarks>
    public async Task<RetentionResult> RunAsync(
        RetentionPolicy policy, bool dryRun, IReadOnlyCollection<MunicipalityCode>? only = null, string actor = "hub", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.RecordDays, MinRecordDays, nameof(policy));
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.TombstoneDays, MinTombstoneDays, nameof(policy));
        var now = database.UtcNow;
        var recordsBefore = UsageRecords.LocalDay(now).AddDays(-policy.RecordDays);
        var tombstonesBefore = now.AddDays(-policy.TombstoneDays);
        var purges = new List<MunicipalityPurge>();
        foreach (var municipality in await new MunicipalityStore(database).ListAsync(cancellationToken))
        {
            if (only is not null && !only.Contains(municipality.Code))
            {
                continue;
            }
            var purge = await PurgeAsync(municipality.Code, recordsBefore, tombstonesBefore, dryRun, actor, cancellationToken);
            if (purge.Records > 0 || purge.Tombstones > 0 || purge.Uploads > 0)
            {
                purges.Add(purge);
            }
        }
        return new RetentionResult(recordsBefore, tombstonesBefore, dryRun, purges);
    }

    /// <summary>The highest change sequence whose tombstone was purged (0 when none was).</summary>
    public async Task<long> PurgedThroughAsync(MunicipalityCode municipality, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await HubDatabase.ScalarAsync(connection, null, "SELECT purged_seq FROM municipality_sequences WHERE municipality = @municipality",
            cancellationToken, ("@municipality", municipality.Value)) is { } value
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : throw new UnknownMunicipalityException(municipality);
    }

    private async Task<MunicipalityPurge> PurgeAsync(
        MunicipalityCode municipality, DateOnly recordsBeforeDay, DateTimeOffset tombstonesBefore, bool dryRun, string actor, CancellationToken cancellationToken)
    {
        var recordsBefore = UsageRecords.DayText(recordsBeforeDay);
        (string, object?)[] records = [("@municipality", municipality.Value), ("@before", recordsBefore)];
        (string, object?)[] tombstones = [("@municipality", municipality.Value), ("@before", tombstonesBefore), ("@deleted", true)];
        const string recordsWhere = "FROM usage_records WHERE municipality = @municipality AND local_date < @before";
        const string tombstonesWhere = "FROM master_rows WHERE municipality = @municipality AND deleted = @deleted AND updated_at < @before";
        // Uploads by when the hub received them: the start of the records' cut-off day, Japan time.
        (string, object?)[] uploads = [("@municipality", municipality.Value), ("@before", JapanTime.At(recordsBeforeDay, TimeOnly.MinValue).ToUniversalTime())];

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Taking the sequence row lock first orders this purge with the municipality's master writers.
        await HubDatabase.ScalarAsync(connection, transaction, database.Dialect.AdvanceSequence, cancellationToken, ("@municipality", municipality.Value), ("@by", 0L));
        var highest = await HubDatabase.ScalarAsync(connection, transaction, $"SELECT max(change_seq) {tombstonesWhere}", cancellationToken, tombstones);
        var purgedThrough = highest is null ? 0 : Convert.ToInt64(highest, CultureInfo.InvariantCulture);
        long recordCount, tombstoneCount, uploadCount = 0;
        if (dryRun)
        {
            recordCount = Count(await HubDatabase.ScalarAsync(connection, transaction, $"SELECT count(*) {recordsWhere}", cancellationToken, records));
            tombstoneCount = Count(await HubDatabase.ScalarAsync(connection, transaction, $"SELECT count(*) {tombstonesWhere}", cancellationToken, tombstones));
            foreach (var where in UploadsWhere)
            {
                uploadCount += Count(await HubDatabase.ScalarAsync(connection, transaction, $"SELECT count(*) {where}", cancellationToken, uploads));
            }
            await transaction.RollbackAsync(cancellationToken);
        }
        else
        {
            recordCount = await HubDatabase.ExecuteAsync(connection, transaction, $"DELETE {recordsWhere}", cancellationToken, records);
            foreach (var where in UploadsWhere)
            {
                uploadCount += await HubDatabase.ExecuteAsync(connection, transaction, $"DELETE {where}", cancellationToken, uploads);
            }
            await HubDatabase.ExecuteAsync(connection, transaction,
                "DELETE FROM usage_rollup WHERE municipality = @municipality AND local_date < @before", cancellationToken, records);
            tombstoneCount = await HubDatabase.ExecuteAsync(connection, transaction, $"DELETE {tombstonesWhere}", cancellationToken, tombstones);
            if (tombstoneCount > 0)
            {
                await HubDatabase.ExecuteAsync(connection, transaction,
                    "UPDATE municipality_sequences SET purged_seq = @seq WHERE municipality = @municipality AND purged_seq < @seq",
                    cancellationToken, ("@municipality", municipality.Value), ("@seq", purgedThrough));
            }
            if (recordCount > 0 || tombstoneCount > 0 || uploadCount > 0)
            {
                await HubAuditStore.AppendAsync(database, connection, transaction,
                    [new HubAuditEntry(municipality, actor, "retention.purge", HubAuditStore.Subject($"records before {recordsBefore}"), new JsonObject
                    {
                        ["records"] = recordCount,
                        ["recordsBefore"] = recordsBefore,
                        ["uploads"] = uploadCount,
                        ["tombstones"] = tombstoneCount,
                        ["tombstonesBefore"] = tombstonesBefore.ToString("O", CultureInfo.InvariantCulture),
                        ["purgedThroughSeq"] = purgedThrough,
                    })], cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        return new MunicipalityPurge(municipality, recordCount, tombstoneCount, purgedThrough, uploadCount);
    }

    private static readonly string[] UploadsWhere =
    [
        "FROM edge_transactions WHERE municipality = @municipality AND received_at < @before",
        "FROM edge_audit WHERE municipality = @municipality AND received_at < @before",
        "FROM edge_telemetry WHERE municipality = @municipality AND received_at < @before",
        "FROM sync_quarantine WHERE municipality = @municipality AND received_at < @before",
        "FROM sync_decisions WHERE municipality = @municipality AND decided_at < @before",
    ];

    private static long Count(object? value) => value is null ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
}
