using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using CardAp.Shared.Domain;
using CardAp.Shared.Hours;

namespace CardAp.Hub.Store.Records;

/// <summary>
/// One group of the usage cube: how many non-training records share these values. Reports roll
/// the cube up into every table they show, so a report reads the period's records once.
/// </summary>
public sealed record UsageCubeRow(
    MunicipalityCode Municipality,
    DateOnly Day,
    int Hour,
    string Site,
    string Terminal,
    string Service,
    UsageOutcome Outcome,
    string? Reason,
    bool Offline,
    long Count);

/// <summary>
/// The usage records terminals upload (the sync issue feeds them) and the queries reports are
/// built from. Records are append-only; only retention deletes them.
/// </summary>
public sealed class UsageRecords(HubDatabase database)
{
    public const int MaxIdLength = 64;
    public const int MaxStreamLength = 16;

    /// <summary>The longest period one query may cover (a year and a bit, for year-on-year views).</summary>
    public const int MaxDays = 400;

    private const string RollupColumns = "municipality, local_date, local_hour, site, terminal, service, outcome, reason, offline";

    /// <summary>
    /// Stores the records in one transaction (all or nothing) and returns how many were new;
    /// a record already stored (same municipality, terminal, stream and sequence) is skipped. The
    /// new records' counts go into usage_rollup in the same transaction, so counts and records agree.
    /// </summary>
    /// <exception cref="ArgumentException">A record is malformed; nothing is stored. The message names the record and the field.</exception>
    /// <exception cref="UnknownMunicipalityException">A record names a municipality the hub does not have; nothing is stored.</exception>
    public async Task<int> AddAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ValidateAll(records);
        if (records.Count == 0)
        {
            return 0;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await InsertAsync(connection, transaction, records, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>
    /// As <see cref="AddAsync(IReadOnlyList{UsageRecord}, CancellationToken)"/>, inside the caller's
    /// transaction (sync stores an upload and its usage records together); the caller commits.
    /// </summary>
    internal async Task<int> AddAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(records);
        ValidateAll(records);
        return records.Count == 0 ? 0 : await InsertAsync(connection, transaction, records, cancellationToken);
    }

    /// <summary>Why the store would refuse this record (the field and the rule), or null when it would take it.</summary>
    internal static string? Problem(UsageRecord record)
    {
        try
        {
            Validate(record, 0);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    private static void ValidateAll(IReadOnlyList<UsageRecord> records)
    {
        for (var i = 0; i < records.Count; i++)
        {
            Validate(records[i], i);
        }
    }

    private async Task<int> InsertAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken)
    {
        foreach (var municipality in records.Select(r => r.Municipality).Distinct())
        {
            if (await HubDatabase.ScalarAsync(connection, transaction, "SELECT code FROM municipalities WHERE code = @code",
                    cancellationToken, ("@code", municipality.Value)) is null)
            {
                throw new UnknownMunicipalityException(municipality);
            }
        }
        var now = database.UtcNow;
        var inserted = 0;
        var counts = new Dictionary<RollupKey, long>();
        var affected = await HubDatabase.ExecuteEachAsync(connection, transaction, database.Dialect.InsertUsageRecord,
            [.. records.Select(r => Parameters(r, now))], ReasonType, cancellationToken);
        for (var i = 0; i < records.Count; i++)
        {
            if (affected[i] == 1)
            {
                inserted++;
                if (!records[i].Training)
                {
                    var key = RollupKey.Of(records[i]);
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
            }
        }
        if (counts.Count > 0)
        {
            await using var increment = HubDatabase.Command(connection, transaction, database.Dialect.IncrementUsageRollup, RollupParameters(counts.First()));
            await increment.PrepareAsync(cancellationToken);
            foreach (var count in counts)
            {
                foreach (var (name, value) in RollupParameters(count))
                {
                    increment.Parameters[name].Value = value;
                }
                await increment.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        return inserted;
    }

    /// <summary>
    /// Recounts usage_rollup from usage_records for local days from..to of one municipality, in one
    /// transaction: after records were loaded around <see cref="AddAsync"/> (a bulk load), or to check the counts.
    /// </summary>
    public async Task RebuildRollupAsync(MunicipalityCode municipality, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        CheckPeriod([municipality], from, to);
        (string, object?)[] parameters = [("@municipality", municipality.Value), ("@from", DayText(from)), ("@to", DayText(to)), ("@training", false)];
        const string period = "municipality = @municipality AND local_date >= @from AND local_date <= @to";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await HubDatabase.ExecuteAsync(connection, transaction, $"DELETE FROM usage_rollup WHERE {period}", cancellationToken, parameters);
        await HubDatabase.ExecuteAsync(connection, transaction,
            $"INSERT INTO usage_rollup ({RollupColumns}, records) " +
            $"SELECT municipality, local_date, local_hour, site, terminal, service, outcome, coalesce(reason, ''), offline, count(*) " +
            $"FROM usage_records WHERE {period} AND training = @training " +
            "GROUP BY municipality, local_date, local_hour, site, terminal, service, outcome, coalesce(reason, ''), offline",
            cancellationToken, parameters);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The usage cube of the municipalities over local days <paramref name="from"/> to
    /// <paramref name="to"/> (inclusive), training records left out: the usage_rollup counts,
    /// streamed as the database returns them.
    /// </summary>
    public async IAsyncEnumerable<UsageCubeRow> CubeAsync(
        IReadOnlyCollection<MunicipalityCode> municipalities, DateOnly from, DateOnly to,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CheckPeriod(municipalities, from, to);
        var codes = municipalities.Select(m => m.Value).Distinct().Order(StringComparer.Ordinal).ToList();
        var names = codes.Select((_, i) => "@m" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var parameters = codes.Select((code, i) => (names[i], (object?)code))
            .Append(("@from", DayText(from))).Append(("@to", DayText(to))).ToArray();
        var sql = $"SELECT {RollupColumns}, records FROM usage_rollup " +
                  $"WHERE municipality IN ({string.Join(", ", names)}) AND local_date >= @from AND local_date <= @to";

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var municipalityCache = new Dictionary<string, MunicipalityCode>(StringComparer.Ordinal);
        var dayCache = new Dictionary<string, DateOnly>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var code = reader.GetString(0);
            if (!municipalityCache.TryGetValue(code, out var municipality))
            {
                municipalityCache[code] = municipality = MunicipalityCode.Parse(code);
            }
            var dayText = reader.GetString(1);
            if (!dayCache.TryGetValue(dayText, out var day))
            {
                dayCache[dayText] = day = DateOnly.ParseExact(dayText, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            }
            yield return new UsageCubeRow(
                municipality,
                day,
                Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                ParseOutcome(reader.GetString(6)),
                reader.GetString(7) is { Length: > 0 } reason ? reason : null,
                reader.GetBoolean(8),
                Convert.ToInt64(reader.GetValue(9), CultureInfo.InvariantCulture));
        }
    }

    /// <summary>How many records (training included) a municipality has over local days from..to inclusive.</summary>
    public async Task<long> CountAsync(MunicipalityCode municipality, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        CheckPeriod([municipality], from, to);
        await using var connection = await database.OpenAsync(cancellationToken);
        var value = await HubDatabase.ScalarAsync(connection, null,
            "SELECT count(*) FROM usage_records WHERE municipality = @municipality AND local_date >= @from AND local_date <= @to",
            cancellationToken, ("@municipality", municipality.Value), ("@from", DayText(from)), ("@to", DayText(to)));
        return Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <summary>The Japan-time day of an instant as stored in local_date.</summary>
    public static DateOnly LocalDay(DateTimeOffset instant) => JapanTime.DateOf(instant);

    /// <summary>A day as local_date stores it (yyyy-MM-dd, which sorts chronologically as text).</summary>
    public static string DayText(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static void CheckPeriod(IReadOnlyCollection<MunicipalityCode> municipalities, DateOnly from, DateOnly to)
    {
        ArgumentNullException.ThrowIfNull(municipalities);
        if (municipalities.Count == 0)
        {
            throw new ArgumentException("At least one municipality is needed.", nameof(municipalities));
        }
        if (to < from)
        {
            throw new ArgumentException($"The period ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd}).", nameof(to));
        }
        if (to.DayNumber - from.DayNumber + 1 > MaxDays)
        {
            throw new ArgumentException($"The period is longer than {MaxDays} days.", nameof(to));
        }
    }

    private static (string, object?)[] Parameters(UsageRecord record, DateTimeOffset now)
    {
        var local = JapanTime.ToJapan(record.OccurredAt);
        return
        [
            ("@municipality", record.Municipality.Value), ("@terminal", record.Terminal), ("@stream", record.Stream), ("@seq", record.Seq),
            ("@site", record.Site), ("@occurred", record.OccurredAt.ToUniversalTime()), ("@date", DayText(DateOnly.FromDateTime(local.DateTime))),
            ("@hour", (short)local.Hour), ("@service", record.Service), ("@operation", record.Operation), ("@outcome", OutcomeName(record.Outcome)),
            ("@reason", record.Reason), ("@offline", record.Offline), ("@training", record.Training), ("@now", now),
        ];
    }

    // A reason is null for done records; typed once so every row's parameter has a type.
    private static readonly Dictionary<string, System.Data.DbType> ReasonType = new(StringComparer.Ordinal) { ["@reason"] = System.Data.DbType.String };

    private static (string, object?)[] RollupParameters(KeyValuePair<RollupKey, long> count) =>
    [
        ("@municipality", count.Key.Municipality), ("@date", count.Key.Date), ("@hour", count.Key.Hour), ("@site", count.Key.Site),
        ("@terminal", count.Key.Terminal), ("@service", count.Key.Service), ("@outcome", count.Key.Outcome), ("@reason", count.Key.Reason),
        ("@offline", count.Key.Offline), ("@records", count.Value),
    ];

    /// <summary>One usage_rollup row's key.</summary>
    private readonly record struct RollupKey(string Municipality, string Date, short Hour, string Site, string Terminal, string Service, string Outcome, string Reason, bool Offline)
    {
        public static RollupKey Of(UsageRecord record)
        {
            var local = JapanTime.ToJapan(record.OccurredAt);
            return new RollupKey(record.Municipality.Value, DayText(DateOnly.FromDateTime(local.DateTime)), (short)local.Hour, record.Site, record.Terminal,
                record.Service, OutcomeName(record.Outcome), record.Reason ?? string.Empty, record.Offline);
        }
    }

    private static string OutcomeName(UsageOutcome outcome) => outcome == UsageOutcome.Done ? "ok" : "refused";

    private static UsageOutcome ParseOutcome(string value) => value switch
    {
        "ok" => UsageOutcome.Done,
        "refused" => UsageOutcome.Refused,
        _ => throw new InvalidDataException($"usage_records.outcome '{value}' is neither 'ok' nor 'refused'."),
    };

    private static void Validate(UsageRecord record, int index)
    {
        ArgumentNullException.ThrowIfNull(record, nameof(record));
        var where = $"record {index + 1} ({record.Terminal}/{record.Stream}/{record.Seq})";
        Text(record.Terminal, "terminal", MaxIdLength, where);
        Text(record.Stream, "stream", MaxStreamLength, where);
        Text(record.Site, "site", MaxIdLength, where);
        Text(record.Service, "service", MaxIdLength, where);
        Text(record.Operation, "operation", MaxIdLength, where);
        if (record.Municipality == default)
        {
            throw new ArgumentException($"{where}: municipality is missing.", nameof(record));
        }
        if (record.Seq <= 0)
        {
            throw new ArgumentException($"{where}: seq must be positive.", nameof(record));
        }
        if (record.Outcome == UsageOutcome.Refused)
        {
            Text(record.Reason, "reason", MaxIdLength, where);
        }
        else if (record.Reason is not null)
        {
            throw new ArgumentException($"{where}: a done operation has no refusal reason.", nameof(record));
        }
        if (!Enum.IsDefined(record.Outcome))
        {
            throw new ArgumentException($"{where}: outcome {(int)record.Outcome} is unknown.", nameof(record));
        }
    }

    private static void Text(string? value, string field, int max, string where)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > max)
        {
            throw new ArgumentException($"{where}: {field} must be 1 to {max} characters.", field);
        }
    }
}
