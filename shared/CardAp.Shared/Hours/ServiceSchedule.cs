using System.Collections.Frozen;

namespace CardAp.Shared.Hours;

/// <summary>
/// The service hours (サービス時間) of one service: opening intervals for each day of the week, whether it opens on
/// national holidays, and local closure dates. Times are Japan local time; instants are converted with the fixed
/// +09:00 offset. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// A day is closed if it is a local closure date; otherwise, unless <see cref="OpenOnNationalHolidays"/>, if it is a
/// Japanese holiday (国民の祝日, 振替休日 or 国民の休日, see <see cref="JapaneseHolidays"/>); otherwise it follows the
/// weekly hours. An interval's open time is inclusive and its close time exclusive.
/// </remarks>
public sealed class ServiceSchedule
{
    /// <summary>How many days ahead <see cref="Evaluate"/> looks for the next opening (or the end of the current one).</summary>
    public const int SearchHorizonDays = 366;

    private static readonly DayOfWeek[] Week =
    [
        DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday,
        DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday,
    ];

    private readonly OpeningInterval[][] _days; // by (int)DayOfWeek, sorted by open time
    private readonly FrozenDictionary<DateOnly, LocalClosure> _closures;

    /// <summary>Creates a schedule; validates every day's intervals and the closure dates.</summary>
    /// <param name="weeklyHours">The opening intervals per day of the week; a day that is missing or has an empty list has no service.</param>
    /// <param name="openOnNationalHolidays">Whether the service opens on holidays by its weekly hours (default: closed on holidays).</param>
    /// <param name="closures">Local closure dates; each date at most once.</param>
    /// <exception cref="ArgumentException">An interval does not close after it opens, two intervals of a day overlap, a key is not a
    /// day of the week, or a closure date is listed twice; the message names the day or date.</exception>
    public ServiceSchedule(
        IReadOnlyDictionary<DayOfWeek, IReadOnlyList<OpeningInterval>> weeklyHours,
        bool openOnNationalHolidays = false,
        IEnumerable<LocalClosure>? closures = null)
    {
        ArgumentNullException.ThrowIfNull(weeklyHours);
        _days = new OpeningInterval[7][];
        for (var i = 0; i < _days.Length; i++)
        {
            _days[i] = [];
        }
        foreach (var (day, intervals) in weeklyHours)
        {
            if (!Enum.IsDefined(day))
            {
                throw new ArgumentException($"{(int)day} is not a day of the week.", nameof(weeklyHours));
            }
            if (intervals is null)
            {
                throw new ArgumentException(
                    $"{day}: the list of opening intervals is null; give an empty list for a day without service.",
                    nameof(weeklyHours));
            }
            _days[(int)day] = Validated(day, intervals, nameof(weeklyHours));
        }
        OpenOnNationalHolidays = openOnNationalHolidays;
        _closures = ValidatedClosures(closures ?? []);
        Closures = [.. _closures.Values.OrderBy(c => c.Date)];
    }

    private ServiceSchedule(OpeningInterval[][] days, bool openOnNationalHolidays, FrozenDictionary<DateOnly, LocalClosure> closures)
    {
        _days = days;
        OpenOnNationalHolidays = openOnNationalHolidays;
        _closures = closures;
        Closures = [.. _closures.Values.OrderBy(c => c.Date)];
    }

    /// <summary>
    /// Creates a schedule from text, as master data holds it: day names ("monday".."sunday", any case) to
    /// "HH:mm-HH:mm" intervals ("24:00" closes at midnight).
    /// </summary>
    /// <exception cref="ArgumentException">A day name or interval cannot be read, or the hours are invalid as for the
    /// constructor; the message names the day.</exception>
    public static ServiceSchedule FromText(
        IReadOnlyDictionary<string, string[]> days,
        bool openOnNationalHolidays = false,
        IEnumerable<LocalClosure>? closures = null)
    {
        ArgumentNullException.ThrowIfNull(days);
        var weekly = new Dictionary<DayOfWeek, IReadOnlyList<OpeningInterval>>();
        foreach (var (name, texts) in days)
        {
            if (!Enum.TryParse<DayOfWeek>(name, ignoreCase: true, out var day) || !Enum.IsDefined(day)
                || !name.All(char.IsAsciiLetter))
            {
                throw new ArgumentException($"'{name}' is not a day of the week; use monday to sunday.", nameof(days));
            }
            if (!weekly.TryAdd(day, Parsed(day, texts ?? [], nameof(days))))
            {
                throw new ArgumentException($"{day} is listed twice.", nameof(days));
            }
        }
        return new ServiceSchedule(weekly, openOnNationalHolidays, closures);
    }

    private static OpeningInterval[] Parsed(DayOfWeek day, string[] texts, string paramName)
    {
        var intervals = new OpeningInterval[texts.Length];
        for (var i = 0; i < texts.Length; i++)
        {
            try
            {
                intervals[i] = OpeningInterval.Parse(texts[i]);
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"{day}: {e.Message}", paramName, e);
            }
        }
        return intervals;
    }

    /// <summary>Open around the clock every day, holidays included (e.g. shelter reception 避難者受付).</summary>
    public static ServiceSchedule AlwaysOpen() =>
        new(Week.ToDictionary(d => d, _ => (IReadOnlyList<OpeningInterval>)[OpeningInterval.AllDay]), openOnNationalHolidays: true);

    /// <summary>The same intervals Monday to Friday; closed on Saturdays, Sundays and holidays (typical office counter hours).</summary>
    public static ServiceSchedule Weekdays(params IReadOnlyList<OpeningInterval> intervals) =>
        new(Week.Take(5).ToDictionary(d => d, _ => intervals));

    /// <summary>Whether the service opens on holidays (国民の祝日, 振替休日, 国民の休日) by its weekly hours.</summary>
    public bool OpenOnNationalHolidays { get; }

    /// <summary>The local closure dates, in date order.</summary>
    public IReadOnlyList<LocalClosure> Closures { get; }

    /// <summary>Whether the schedule is open around the clock on every day with no closures.</summary>
    public bool IsAlwaysOpen =>
        OpenOnNationalHolidays && _closures.Count == 0
        && _days.All(d => d.Length == 1 && d[0] == OpeningInterval.AllDay);

    /// <summary>The opening intervals of the day of the week, sorted by open time (empty when there is no service).</summary>
    public IReadOnlyList<OpeningInterval> IntervalsOn(DayOfWeek day) =>
        Enum.IsDefined(day) ? _days[(int)day].AsReadOnly() : throw new ArgumentOutOfRangeException(nameof(day), day, "Not a day of the week.");

    /// <summary>A copy of this schedule with more local closure dates.</summary>
    /// <exception cref="ArgumentException">A closure date is already closed or listed twice.</exception>
    public ServiceSchedule WithClosures(IEnumerable<LocalClosure> closures)
    {
        ArgumentNullException.ThrowIfNull(closures);
        return new ServiceSchedule(_days, OpenOnNationalHolidays, ValidatedClosures(_closures.Values.Concat(closures)));
    }

    /// <summary>Whether the service is open at the instant.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The service closes on holidays and the instant's year is outside
    /// <see cref="JapaneseHolidays.MinYear"/>..<see cref="JapaneseHolidays.MaxYear"/>.</exception>
    public bool IsOpenAt(DateTimeOffset instant)
    {
        var (date, time) = Local(instant);
        return ClosureOf(date, out _, out _) is null && FindInterval(date, time) is not null;
    }

    /// <summary>
    /// The first instant at or after <paramref name="from"/> at which the service is open, in +09:00, or null if it
    /// does not open within <see cref="SearchHorizonDays"/> days (or before the end of the holiday calendar).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As for <see cref="IsOpenAt"/>.</exception>
    public DateTimeOffset? NextOpening(DateTimeOffset from)
    {
        var (today, now) = Local(from);
        var nowSpan = now.ToTimeSpan();
        for (var offset = 0; offset <= SearchHorizonDays; offset++)
        {
            var date = today.AddDays(offset);
            if (!CanLookUp(date))
            {
                return null;
            }
            if (ClosureOf(date, out _, out _) is not null)
            {
                continue;
            }
            foreach (var interval in _days[(int)date.DayOfWeek])
            {
                if (offset == 0 && interval.End <= nowSpan)
                {
                    continue;
                }
                var start = offset == 0 && interval.Start < nowSpan ? nowSpan : interval.Start;
                return At(date, start);
            }
        }
        return null;
    }

    /// <summary>
    /// Whether the service is open at <paramref name="now"/>; if closed, why and when it next opens; if open, until when;
    /// with messages for clerks and residents in English and Japanese.
    /// </summary>
    /// <param name="now">The instant to evaluate; any offset (converted to +09:00).</param>
    /// <param name="displayNameEn">The service's name as it begins an English sentence, e.g. "the library" or
    /// "Chiyoda certificate kiosk" (the first letter is capitalised).</param>
    /// <param name="displayNameJa">The service's Japanese name, e.g. "図書館".</param>
    /// <exception cref="ArgumentOutOfRangeException">As for <see cref="IsOpenAt"/>.</exception>
    public ServiceHoursStatus Evaluate(DateTimeOffset now, string displayNameEn, string displayNameJa)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(displayNameEn);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayNameJa);
        var at = JapanTime.ToJapan(now);
        var (date, time) = Local(now);
        var nameEn = HoursText.SentenceStart(displayNameEn);

        var reason = ClosureOf(date, out var closure, out var holiday);
        if (reason is null)
        {
            var interval = FindInterval(date, time);
            if (interval is { } open)
            {
                var closesAt = ClosingOf(date, open);
                var (untilEn, untilJa) = closesAt is { } c ? Until(at, c) : (null, null);
                return new ServiceHoursStatus.Open(
                    at,
                    closesAt,
                    untilEn is null ? $"{nameEn} is open." : $"{nameEn} is open until {untilEn}.",
                    untilJa is null ? $"{displayNameJa}は営業中です。" : $"{displayNameJa}は営業中です({untilJa}まで)。");
            }
            reason = ClosedReason.OutsideHours;
        }

        var next = NextOpening(now);
        var (whyEn, whyJa) = reason switch
        {
            ClosedReason.LocalClosure => (
                closure!.DisplayReasonEn is { } en ? $"closure day: {en}" : "closure day",
                closure.DisplayReasonJa is { } ja ? $"休業日: {ja}" : "休業日"),
            ClosedReason.NationalHoliday => holiday!.Kind == HolidayKind.National
                ? ($"national holiday: {holiday.NameJa} {holiday.NameEn}", $"祝日: {holiday.NameJa}")
                : ($"holiday: {holiday.NameJa} {holiday.NameEn}", $"休日: {holiday.NameJa}"),
            _ when _days[(int)date.DayOfWeek].Length == 0 => ($"no service on {date.DayOfWeek}s", "定休日"),
            _ => ("outside service hours", "サービス時間外"),
        };
        var messageEn = next is { } n
            ? $"{nameEn} is closed ({whyEn}). It opens on {HoursText.WhenEn(n)}."
            : $"{nameEn} is closed ({whyEn}) and has no opening scheduled in the next {SearchHorizonDays} days.";
        var messageJa = next is { } m
            ? $"{displayNameJa}は休業中です({whyJa})。次の開始は{HoursText.WhenJa(m)}です。"
            : $"{displayNameJa}は休業中です({whyJa})。今後{SearchHorizonDays}日以内に開始の予定はありません。";
        return new ServiceHoursStatus.Closed(at, reason.Value, holiday, closure, next, messageEn, messageJa);
    }

    // ---- day logic -------------------------------------------------------------------------------------------------

    private static (DateOnly Date, TimeOnly Time) Local(DateTimeOffset instant)
    {
        var local = JapanTime.ToJapan(instant).DateTime;
        return (DateOnly.FromDateTime(local), TimeOnly.FromDateTime(local));
    }

    private static DateTimeOffset At(DateOnly date, TimeSpan sinceMidnight) =>
        new(date.ToDateTime(TimeOnly.MinValue).Add(sinceMidnight), JapanTime.Offset);

    /// <summary>Why the whole day is closed, or null if it follows the weekly hours.</summary>
    private ClosedReason? ClosureOf(DateOnly date, out LocalClosure? closure, out Holiday? holiday)
    {
        holiday = null;
        if (_closures.TryGetValue(date, out closure))
        {
            return ClosedReason.LocalClosure;
        }
        if (!OpenOnNationalHolidays && (holiday = JapaneseHolidays.GetHoliday(date)) is not null)
        {
            return ClosedReason.NationalHoliday;
        }
        return null;
    }

    /// <summary>Whether the day can be classified (the holiday calendar covers it, or holidays do not matter).</summary>
    private bool CanLookUp(DateOnly date) => OpenOnNationalHolidays || JapaneseHolidays.IsSupportedYear(date.Year);

    private OpeningInterval? FindInterval(DateOnly date, TimeOnly time)
    {
        foreach (var interval in _days[(int)date.DayOfWeek])
        {
            if (interval.Contains(time))
            {
                return interval;
            }
        }
        return null;
    }

    /// <summary>When the opening that contains <paramref name="interval"/> ends, following it into an interval that
    /// starts as it closes (the same day, or 00:00 the next day if that day opens); null if it runs past the search horizon.</summary>
    private DateTimeOffset? ClosingOf(DateOnly date, OpeningInterval interval)
    {
        var day = date;
        var current = interval;
        while (true)
        {
            if (!current.EndsAtMidnight)
            {
                var end = current.End;
                var following = Array.FindIndex(_days[(int)day.DayOfWeek], i => i.Start == end);
                if (following < 0)
                {
                    return At(day, end);
                }
                current = _days[(int)day.DayOfWeek][following];
                continue;
            }
            var next = day.AddDays(1);
            if (next.DayNumber - date.DayNumber > SearchHorizonDays || !CanLookUp(next))
            {
                return null;
            }
            if (_days[(int)next.DayOfWeek] is not [{ Start.Ticks: 0 } first, ..] || ClosureOf(next, out _, out _) is not null)
            {
                return At(day, current.End);
            }
            day = next;
            current = first;
        }
    }

    private static (string En, string Ja) Until(DateTimeOffset now, DateTimeOffset closesAt)
    {
        var today = DateOnly.FromDateTime(now.DateTime);
        var closingDay = DateOnly.FromDateTime(closesAt.DateTime);
        if (closingDay == today)
        {
            return (HoursText.TimeEn(closesAt), HoursText.TimeJa(closesAt));
        }
        if (closingDay == today.AddDays(1) && closesAt.TimeOfDay == TimeSpan.Zero)
        {
            return ("midnight", "24:00");
        }
        return (HoursText.WhenEn(closesAt), HoursText.WhenJa(closesAt));
    }

    // ---- validation ------------------------------------------------------------------------------------------------

    private static OpeningInterval[] Validated(DayOfWeek day, IReadOnlyList<OpeningInterval> intervals, string paramName)
    {
        var sorted = intervals.OrderBy(i => i.Open).ToArray();
        foreach (var interval in sorted)
        {
            if (interval.End <= interval.Start)
            {
                throw new ArgumentException(
                    $"{day}: the interval {interval} does not close after it opens; the close time must be later than "
                    + "the open time on the same day (intervals cannot run past midnight; use TimeOnly.MaxValue, "
                    + "written 24:00, for \"until midnight\").",
                    paramName);
            }
        }
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Start < sorted[i - 1].End)
            {
                throw new ArgumentException(
                    $"{day}: the intervals {sorted[i - 1]} and {sorted[i]} overlap; the intervals of one day must not overlap.",
                    paramName);
            }
        }
        return sorted;
    }

    private static FrozenDictionary<DateOnly, LocalClosure> ValidatedClosures(IEnumerable<LocalClosure> closures)
    {
        var byDate = new Dictionary<DateOnly, LocalClosure>();
        foreach (var closure in closures)
        {
            if (closure is null)
            {
                throw new ArgumentException("A local closure is null.", nameof(closures));
            }
            if (!byDate.TryAdd(closure.Date, closure))
            {
                throw new ArgumentException(
                    $"The local closure date {HoursText.IsoDate(closure.Date)} is listed twice; each date may be closed once.",
                    nameof(closures));
            }
        }
        return byDate.ToFrozenDictionary();
    }
}
