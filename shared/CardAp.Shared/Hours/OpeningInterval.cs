using System.Globalization;

namespace CardAp.Shared.Hours;

/// <summary>
/// One opening interval within a day, in Japan local time: open from <see cref="Open"/> (inclusive) to
/// <see cref="Close"/> (exclusive). An interval never crosses midnight; a <see cref="Close"/> of
/// <see cref="TimeOnly.MaxValue"/> means "until midnight" (24:00), see <see cref="UntilMidnight"/>.
/// </summary>
/// <remarks>The schedule, not the interval, checks that the close is after the open, so the message can name the day.</remarks>
public readonly record struct OpeningInterval(TimeOnly Open, TimeOnly Close)
{
    /// <summary>The whole day, 00:00 to 24:00.</summary>
    public static OpeningInterval AllDay { get; } = new(TimeOnly.MinValue, TimeOnly.MaxValue);

    /// <summary>An interval from <paramref name="open"/> to midnight (24:00).</summary>
    public static OpeningInterval UntilMidnight(TimeOnly open) => new(open, TimeOnly.MaxValue);

    /// <summary>Whether the interval runs to the end of the day (its close is 24:00).</summary>
    public bool EndsAtMidnight => Close == TimeOnly.MaxValue;

    /// <summary>The start as an offset from midnight.</summary>
    internal TimeSpan Start => Open.ToTimeSpan();

    /// <summary>The end as an offset from midnight: one whole day when the interval runs to 24:00.</summary>
    internal TimeSpan End => EndsAtMidnight ? TimeSpan.FromDays(1) : Close.ToTimeSpan();

    /// <summary>Whether the time of day falls within the interval (open inclusive, close exclusive).</summary>
    public bool Contains(TimeOnly time) => time.ToTimeSpan() >= Start && time.ToTimeSpan() < End;

    /// <summary>
    /// Parses "HH:mm-HH:mm" (e.g. "09:00-17:15", "13:00-24:00"); "24:00" as the close means midnight.
    /// The order of the times is not checked here but by <see cref="ServiceSchedule"/>.
    /// </summary>
    /// <exception cref="FormatException">The text is not two times joined by '-'.</exception>
    public static OpeningInterval Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !TimeOnly.TryParseExact(parts[0], ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var open))
        {
            throw new FormatException($"'{text}' is not an opening interval; write it as HH:mm-HH:mm, e.g. 09:00-17:15.");
        }
        if (parts[1] == "24:00")
        {
            return UntilMidnight(open);
        }
        if (!TimeOnly.TryParseExact(parts[1], ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var close))
        {
            throw new FormatException($"'{text}' is not an opening interval; write it as HH:mm-HH:mm, e.g. 09:00-17:15.");
        }
        return new OpeningInterval(open, close);
    }

    /// <summary>"09:00-17:15"; an interval to midnight ends in "24:00".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Open:HH\\:mm}-{(EndsAtMidnight ? "24:00" : Close.ToString("HH\\:mm", CultureInfo.InvariantCulture))}");
}
