namespace CardAp.Shared.Hours;

/// <summary>
/// A day on which a service is closed by local decision (e.g. 年末年始, a library's inventory days
/// 蔵書点検期間), whatever its weekly hours. The optional reasons are shown to clerks and residents as given; when
/// only one is given it serves both languages.
/// </summary>
/// <param name="Date">The closed day (Japan local date).</param>
/// <param name="ReasonJa">The reason in Japanese, e.g. "年末年始".</param>
/// <param name="ReasonEn">The reason in English, e.g. "year-end holidays".</param>
public sealed record LocalClosure(DateOnly Date, string? ReasonJa = null, string? ReasonEn = null)
{
    /// <summary>The reason for a Japanese message: <see cref="ReasonJa"/>, else <see cref="ReasonEn"/>, else null.</summary>
    public string? DisplayReasonJa => NullIfBlank(ReasonJa) ?? NullIfBlank(ReasonEn);

    /// <summary>The reason for an English message: <see cref="ReasonEn"/>, else <see cref="ReasonJa"/>, else null.</summary>
    public string? DisplayReasonEn => NullIfBlank(ReasonEn) ?? NullIfBlank(ReasonJa);

    /// <summary>The usual reason for the year-end and New Year closure, in Japanese.</summary>
    public const string NewYearReasonJa = "年末年始";

    /// <summary>The usual reason for the year-end and New Year closure, in English.</summary>
    public const string NewYearReasonEn = "year-end and New Year holidays";

    /// <summary>One closure per day from <paramref name="first"/> to <paramref name="last"/>, both included.</summary>
    /// <exception cref="ArgumentException"><paramref name="last"/> is before <paramref name="first"/>.</exception>
    public static IEnumerable<LocalClosure> Range(DateOnly first, DateOnly last, string? reasonJa = null, string? reasonEn = null)
    {
        if (last < first)
        {
            throw new ArgumentException(
                $"The closure period ends ({HoursText.IsoDate(last)}) before it begins ({HoursText.IsoDate(first)}).",
                nameof(last));
        }
        return RangeIterator(first, last, reasonJa, reasonEn);
    }

    /// <summary>
    /// The customary municipal year-end and New Year closure (年末年始): December 29 of <paramref name="year"/>
    /// to January 3 of the next year.
    /// </summary>
    public static IEnumerable<LocalClosure> NewYearHolidays(int year) =>
        Range(new DateOnly(year, 12, 29), new DateOnly(year + 1, 1, 3), NewYearReasonJa, NewYearReasonEn);

    private static IEnumerable<LocalClosure> RangeIterator(DateOnly first, DateOnly last, string? reasonJa, string? reasonEn)
    {
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            yield return new LocalClosure(day, reasonJa, reasonEn);
        }
    }

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
