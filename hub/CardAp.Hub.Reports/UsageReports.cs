using System.Globalization;
using CardAp.Hub.Store.Records;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Reports;

/// <summary>
/// Builds usage reports (利用統計) from the uploaded records: one read of the period's usage cube,
/// reduced on the way to the few groupings every table derives from (municipality × day × service,
/// hour, site × terminal), then expanded into the tables. Training records are not in the cube.
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

    private static readonly string[] HourKeys = Enumerable.Range(0, 24).Select(h => h.ToString("00", CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The report of the municipalities over local days <paramref name="from"/> to <paramref name="to"/> (inclusive).</summary>
    /// <exception cref="ArgumentException">No municipality, or the period is reversed or longer than <see cref="UsageRecords.MaxDays"/> days.</exception>
    public async Task<UsageReport> BuildAsync(
        IReadOnlyCollection<MunicipalityCode> municipalities, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        var byDay = new Dictionary<(string Municipality, DateOnly Day, string Service), UsageFigures>();
        var byHour = new UsageFigures[24];
        var byTerminal = new Dictionary<(string Site, string Terminal), UsageFigures>();
        var refusals = new Dictionary<(string Service, string Reason), long>();
        await foreach (var row in records.CubeAsync(municipalities, from, to, cancellationToken))
        {
            var figures = row.Outcome == UsageOutcome.Refused
                ? new UsageFigures(0, 0, row.Count)
                : new UsageFigures(row.Count, row.Offline ? row.Count : 0, 0);
            Add(byDay, (row.Municipality.Value, row.Day, row.Service), figures);
            byHour[row.Hour] += figures;
            Add(byTerminal, (row.Site, row.Terminal), figures);
            if (row.Outcome == UsageOutcome.Refused)
            {
                var reason = (row.Service, row.Reason ?? "Unknown");
                refusals[reason] = refusals.GetValueOrDefault(reason) + row.Count;
            }
        }

        var dayText = byDay.Keys.Select(k => k.Day).Distinct().ToDictionary(d => d, UsageRecords.DayText);
        var tables = new List<UsageTable>(StandardTables.Count);
        foreach (var dimensions in StandardTables)
        {
            var groups = new Dictionary<string[], UsageFigures>(KeyComparer.Instance);
            if (dimensions is [UsageDimension.HourOfDay])
            {
                for (var hour = 0; hour < 24; hour++)
                {
                    if (byHour[hour] != default)
                    {
                        groups[[HourKeys[hour]]] = byHour[hour];
                    }
                }
            }
            else if (dimensions is [UsageDimension.Site] or [UsageDimension.Terminal])
            {
                foreach (var ((site, terminal), figures) in byTerminal)
                {
                    Add(groups, [dimensions[0] == UsageDimension.Site ? site : terminal], figures);
                }
            }
            else
            {
                foreach (var ((municipality, day, service), figures) in byDay)
                {
                    var key = dimensions.Select(d => d switch
                    {
                        UsageDimension.Service => service,
                        UsageDimension.Day => dayText[day],
                        UsageDimension.Month => dayText[day][..7],
                        UsageDimension.Municipality => municipality,
                        _ => throw new InvalidOperationException($"{d} is not derived from the daily grouping."),
                    }).ToArray();
                    Add(groups, key, figures);
                }
            }
            tables.Add(new UsageTable(dimensions, groups
                .OrderBy(g => g.Key, KeyComparer.Instance)
                .Select(g => new UsageRow(g.Key, g.Value))
                .ToList()));
        }

        return new UsageReport(
            municipalities.Distinct().OrderBy(m => m.Value, StringComparer.Ordinal).ToList(),
            from,
            to,
            byHour.Aggregate(default(UsageFigures), (sum, figures) => sum + figures),
            tables,
            refusals.OrderBy(r => r.Key.Service, StringComparer.Ordinal).ThenByDescending(r => r.Value).ThenBy(r => r.Key.Reason, StringComparer.Ordinal)
                .Select(r => new RefusalRow(r.Key.Service, r.Key.Reason, r.Value))
                .ToList(),
            clock.GetUtcNow());
    }

    private static void Add<TKey>(Dictionary<TKey, UsageFigures> groups, TKey key, UsageFigures figures)
        where TKey : notnull =>
        groups[key] = groups.GetValueOrDefault(key) + figures;

    /// <summary>Keys compared text by text, ordinally: days, months and two-digit hours sort chronologically as text.</summary>
    private sealed class KeyComparer : IEqualityComparer<string[]>, IComparer<string[]>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(string[] obj)
        {
            var hash = new HashCode();
            foreach (var value in obj)
            {
                hash.Add(value, StringComparer.Ordinal);
            }
            return hash.ToHashCode();
        }

        public int Compare(string[]? x, string[]? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
            {
                var order = string.CompareOrdinal(x[i], y[i]);
                if (order != 0)
                {
                    return order;
                }
            }
            return x.Length.CompareTo(y.Length);
        }
    }
}
