using CardAp.Hub.Store.Records;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Reports;

/// <summary>
/// Builds usage reports (利用統計) from the uploaded records: one read of the period's usage cube,
/// rolled up into every table at once. Training records are left out by the cube query.
/// </summary>
public sealed class UsageReports(UsageRecords records, TimeProvider clock)
{
    /// <summary>The tables every report has, in the order they are shown.</summary>
    public static IReadOnlyList<UsageDimension[]> StandardTables { get; } =
    [
        [UsageDimension.Service],
        [UsageDimension.Day],
        [UsageDimension.Service, UsageDimension.Day],
        [UsageDimension.Month],
        [UsageDimension.Service, UsageDimension.Month],
        [UsageDimension.HourOfDay],
        [UsageDimension.Site],
        [UsageDimension.Terminal],
        [UsageDimension.Municipality],
    ];

    /// <summary>The report of the municipalities over local days <paramref name="from"/> to <paramref name="to"/> (inclusive).</summary>
    /// <exception cref="ArgumentException">No municipality, or the period is reversed or longer than <see cref="UsageRecords.MaxDays"/> days.</exception>
    public async Task<UsageReport> BuildAsync(
        IReadOnlyCollection<MunicipalityCode> municipalities, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        var tables = StandardTables.Select(dimensions => (Dimensions: dimensions, Groups: new Dictionary<GroupKey, UsageFigures>())).ToList();
        var refusals = new Dictionary<(string Service, string Reason), long>();
        var total = default(UsageFigures);
        await foreach (var row in records.CubeAsync(municipalities, from, to, cancellationToken))
        {
            var figures = row.Outcome == UsageOutcome.Refused
                ? new UsageFigures(0, 0, row.Count)
                : new UsageFigures(row.Count, row.Offline ? row.Count : 0, 0);
            total += figures;
            var day = UsageRecords.DayText(row.Day);
            foreach (var (dimensions, groups) in tables)
            {
                var key = GroupKey.Of(row, day, dimensions);
                groups[key] = groups.GetValueOrDefault(key) + figures;
            }
            if (row.Outcome == UsageOutcome.Refused)
            {
                var reason = (row.Service, row.Reason ?? "Unknown");
                refusals[reason] = refusals.GetValueOrDefault(reason) + row.Count;
            }
        }

        return new UsageReport(
            municipalities.Distinct().OrderBy(m => m.Value, StringComparer.Ordinal).ToList(),
            from,
            to,
            total,
            tables.Select(t => new UsageTable(t.Dimensions, t.Groups
                    .OrderBy(g => g.Key)
                    .Select(g => new UsageRow(g.Key.Values, g.Value))
                    .ToList()))
                .ToList(),
            refusals.OrderBy(r => r.Key.Service, StringComparer.Ordinal).ThenByDescending(r => r.Value).ThenBy(r => r.Key.Reason, StringComparer.Ordinal)
                .Select(r => new RefusalRow(r.Key.Service, r.Key.Reason, r.Value))
                .ToList(),
            clock.GetUtcNow());
    }

    /// <summary>A group's key: one text per dimension. Days, months and two-digit hours sort chronologically as text.</summary>
    private sealed record GroupKey(string[] Values) : IComparable<GroupKey>
    {
        public static GroupKey Of(UsageCubeRow row, string day, UsageDimension[] dimensions)
        {
            var values = new string[dimensions.Length];
            for (var i = 0; i < dimensions.Length; i++)
            {
                values[i] = dimensions[i] switch
                {
                    UsageDimension.Service => row.Service,
                    UsageDimension.Day => day,
                    UsageDimension.Month => day[..7],
                    UsageDimension.HourOfDay => HourKeys[row.Hour],
                    UsageDimension.Site => row.Site,
                    UsageDimension.Terminal => row.Terminal,
                    UsageDimension.Municipality => row.Municipality.Value,
                    _ => throw new ArgumentOutOfRangeException(nameof(dimensions)),
                };
            }
            return new GroupKey(values);
        }

        public bool Equals(GroupKey? other) => other is not null && Values.AsSpan().SequenceEqual(other.Values);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var value in Values)
            {
                hash.Add(value, StringComparer.Ordinal);
            }
            return hash.ToHashCode();
        }

        public int CompareTo(GroupKey? other)
        {
            ArgumentNullException.ThrowIfNull(other);
            for (var i = 0; i < Values.Length; i++)
            {
                var order = string.CompareOrdinal(Values[i], other.Values[i]);
                if (order != 0)
                {
                    return order;
                }
            }
            return 0;
        }
    }

    private static readonly string[] HourKeys = Enumerable.Range(0, 24).Select(h => h.ToString("00", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
