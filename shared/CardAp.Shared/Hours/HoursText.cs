using System.Globalization;

namespace CardAp.Shared.Hours;

/// <summary>Culture-independent date and time wording for the service-hours messages.</summary>
internal static class HoursText
{
    private static readonly string[] WeekdayEn = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    private static readonly string[] WeekdayJa = ["日", "月", "火", "水", "木", "金", "土"];

    /// <summary>2026-11-04</summary>
    public static string IsoDate(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>"Wed 2026-11-04 at 09:00"</summary>
    public static string WhenEn(DateTimeOffset instant) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{WeekdayEn[(int)instant.DayOfWeek]} {instant:yyyy-MM-dd} at {instant:HH\\:mm}");

    /// <summary>"2026年11月4日(水) 9:00"</summary>
    public static string WhenJa(DateTimeOffset instant) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{instant.Year}年{instant.Month}月{instant.Day}日({WeekdayJa[(int)instant.DayOfWeek]}) {TimeJa(instant)}");

    /// <summary>"09:00"</summary>
    public static string TimeEn(DateTimeOffset instant) => instant.ToString("HH\\:mm", CultureInfo.InvariantCulture);

    /// <summary>"9:00"</summary>
    public static string TimeJa(DateTimeOffset instant) => instant.ToString("H\\:mm", CultureInfo.InvariantCulture);

    /// <summary>The name with its first letter capitalised, to begin an English sentence ("the library" → "The library").</summary>
    public static string SentenceStart(string name) =>
        name.Length == 0 || !char.IsLower(name[0]) ? name : string.Concat(char.ToUpperInvariant(name[0]).ToString(), name.AsSpan(1));
}
