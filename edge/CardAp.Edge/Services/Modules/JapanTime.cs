namespace CardAp.Edge.Services.Modules;

/// <summary>
/// The Japan calendar day the modules count in (due dates, "per day" limits, once-per-day
/// check-ins), whatever offset the caller's clock uses. Japan Standard Time is UTC+9 all year.
/// </summary>
internal static class JapanTime
{
    public static readonly TimeSpan Offset = Card.Application.CardDates.JapanOffset;

    public static DateTimeOffset ToJapan(DateTimeOffset instant) => instant.ToOffset(Offset);

    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(ToJapan(now).DateTime);

    /// <summary>Midnight at the start of <paramref name="now"/>'s Japan day, as an instant.</summary>
    public static DateTimeOffset StartOfDay(DateTimeOffset now) =>
        new(Today(now).ToDateTime(TimeOnly.MinValue), Offset);

    public static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
