using CardAp.Shared.Domain;

namespace CardAp.Hub.Reports;

/// <summary>What a usage table is broken down by.</summary>
public enum UsageDimension
{
    Service,
    Day,
    Month,
    HourOfDay,
    Site,
    Terminal,
    Municipality,
}

/// <summary>
/// The figures of one group: operations done (recorded), of them done while the terminal was
/// offline, and operations refused. Training records are never counted.
/// </summary>
public readonly record struct UsageFigures(long Done, long Offline, long Refused)
{
    /// <summary>Share of the done operations that were done offline (0 when none were done).</summary>
    public double OfflineShare => Done == 0 ? 0 : (double)Offline / Done;

    public static UsageFigures operator +(UsageFigures left, UsageFigures right) =>
        new(left.Done + right.Done, left.Offline + right.Offline, left.Refused + right.Refused);

    public static UsageFigures Add(UsageFigures left, UsageFigures right) => left + right;
}

/// <summary>One row of a table: one key per dimension (same order as the table's), and its figures.</summary>
public sealed record UsageRow(IReadOnlyList<string> Keys, UsageFigures Figures);

/// <summary>A table of the report, e.g. per service per day: rows in key order.</summary>
public sealed record UsageTable(IReadOnlyList<UsageDimension> Dimensions, IReadOnlyList<UsageRow> Rows)
{
    /// <summary>A stable name for files and API calls, e.g. "service-day".</summary>
    public string Name => string.Join('-', Dimensions.Select(UsageDimensions.WireName));
}

/// <summary>Refused operations of one service for one reason (the reason as the terminal recorded it, e.g. "CardSuspended").</summary>
public sealed record RefusalRow(string Service, string Reason, long Count);

/// <summary>
/// A usage report (利用統計) of one or more municipalities over local (Japan-time) days
/// <see cref="From"/> to <see cref="To"/>, both inclusive.
/// </summary>
public sealed record UsageReport(
    IReadOnlyList<MunicipalityCode> Municipalities,
    DateOnly From,
    DateOnly To,
    UsageFigures Total,
    IReadOnlyList<UsageTable> Tables,
    IReadOnlyList<RefusalRow> Refusals,
    DateTimeOffset GeneratedAt)
{
    /// <summary>The table with exactly these dimensions, or null when the report has none.</summary>
    public UsageTable? Table(params UsageDimension[] dimensions) =>
        Tables.FirstOrDefault(t => t.Dimensions.SequenceEqual(dimensions));
}

/// <summary>Names and labels of the dimensions: wire names for APIs and files, labels for people.</summary>
public static class UsageDimensions
{
    public static string WireName(UsageDimension dimension) => dimension switch
    {
        UsageDimension.Service => "service",
        UsageDimension.Day => "day",
        UsageDimension.Month => "month",
        UsageDimension.HourOfDay => "hour",
        UsageDimension.Site => "site",
        UsageDimension.Terminal => "terminal",
        UsageDimension.Municipality => "municipality",
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };

    public static bool TryParse(string? name, out UsageDimension dimension)
    {
        foreach (var candidate in Enum.GetValues<UsageDimension>())
        {
            if (string.Equals(WireName(candidate), name, StringComparison.Ordinal))
            {
                dimension = candidate;
                return true;
            }
        }
        dimension = default;
        return false;
    }

    public static string LabelEn(UsageDimension dimension) => dimension switch
    {
        UsageDimension.Service => "Service",
        UsageDimension.Day => "Day",
        UsageDimension.Month => "Month",
        UsageDimension.HourOfDay => "Hour",
        UsageDimension.Site => "Site",
        UsageDimension.Terminal => "Terminal",
        UsageDimension.Municipality => "Municipality",
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };

    public static string LabelJa(UsageDimension dimension) => dimension switch
    {
        UsageDimension.Service => "サービス",
        UsageDimension.Day => "日",
        UsageDimension.Month => "月",
        UsageDimension.HourOfDay => "時間帯",
        UsageDimension.Site => "施設",
        UsageDimension.Terminal => "端末",
        UsageDimension.Municipality => "団体",
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };
}
