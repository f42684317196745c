namespace CardAp.Shared.Hours;

/// <summary>Japan Standard Time: a fixed UTC+09:00 offset (Japan observes no daylight saving time).</summary>
public static class JapanTime
{
    /// <summary>The offset of Japan Standard Time from UTC.</summary>
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    /// <summary>The same instant seen in Japan Standard Time (+09:00).</summary>
    public static DateTimeOffset ToJapan(DateTimeOffset instant) => instant.ToOffset(Offset);

    /// <summary>The Japan-local calendar date of the instant.</summary>
    public static DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(ToJapan(instant).DateTime);

    /// <summary>The instant at the given Japan-local date and time, as a +09:00 offset.</summary>
    public static DateTimeOffset At(DateOnly date, TimeOnly time) => new(date.ToDateTime(time), Offset);

    /// <summary>Midnight at the start of <paramref name="instant"/>'s Japan day ("per day" limits, once-per-day check-ins).</summary>
    public static DateTimeOffset StartOfDay(DateTimeOffset instant) => At(DateOf(instant), TimeOnly.MinValue);

    public static string IsoDate(DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
