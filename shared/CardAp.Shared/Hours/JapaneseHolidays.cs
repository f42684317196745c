using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace CardAp.Shared.Hours;

/// <summary>
/// Japanese national holidays (国民の祝日) and the days off that follow from them (振替休日, 国民の休日),
/// computed from the rules of the national holiday law (国民の祝日に関する法律, 昭和23年法律第178号) as amended,
/// for the years <see cref="MinYear"/> to <see cref="MaxYear"/>. Only the days that special laws set once
/// (1989, 1990, 1993, 2019) and the Olympic moves of 2020 and 2021 are dated one by one; everything else
/// follows from the rules. Each year is computed once and cached; all members are thread-safe.
/// </summary>
/// <remarks>
/// The equinox days are set each February by the Cabinet Office from the astronomical almanac; here they come from
/// the standard approximation, which agrees with the almanac from 1980 to 2099. Amendments the law may receive
/// after 2026 (a new Emperor's Birthday, say) are of course not foreseen.
/// </remarks>
public static class JapaneseHolidays
{
    /// <summary>The first year computed.</summary>
    public const int MinYear = 1980;

    /// <summary>The last year computed (the equinox approximation holds to 2099).</summary>
    public const int MaxYear = 2099;

    private static readonly ConcurrentDictionary<int, YearTable> Cache = new();

    /// <summary>Whether the date is a holiday: a national holiday, a substitute holiday or a citizens' holiday.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The year is outside <see cref="MinYear"/>..<see cref="MaxYear"/>.</exception>
    public static bool IsHoliday(DateOnly date) => GetHoliday(date) is not null;

    /// <summary>The holiday on the date, with its Japanese and English names, or null on an ordinary day.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The year is outside <see cref="MinYear"/>..<see cref="MaxYear"/>.</exception>
    public static Holiday? GetHoliday(DateOnly date) =>
        Table(date.Year, nameof(date)).ByDate.GetValueOrDefault(date);

    /// <summary>The Japanese name of the holiday on the date (e.g. "文化の日", "振替休日"), or null on an ordinary day.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The year is outside <see cref="MinYear"/>..<see cref="MaxYear"/>.</exception>
    public static string? HolidayName(DateOnly date) => GetHoliday(date)?.NameJa;

    /// <summary>All holidays of the year, in date order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The year is outside <see cref="MinYear"/>..<see cref="MaxYear"/>.</exception>
    public static IReadOnlyList<Holiday> HolidaysIn(int year) => Table(year, nameof(year)).InOrder;

    /// <summary>Whether the year is one this class computes.</summary>
    public static bool IsSupportedYear(int year) => year is >= MinYear and <= MaxYear;

    private static YearTable Table(int year, string parameterName)
    {
        if (!IsSupportedYear(year))
        {
            throw new ArgumentOutOfRangeException(parameterName, year,
                $"Japanese holidays are computed for the years {MinYear} to {MaxYear} only; {year} is outside.");
        }
        return Cache.GetOrAdd(year, static y => new YearTable(Compute(y)));
    }

    private sealed class YearTable
    {
        public YearTable(Holiday[] holidays)
        {
            InOrder = holidays.AsReadOnly();
            ByDate = holidays.ToFrozenDictionary(h => h.Date);
        }

        public IReadOnlyList<Holiday> InOrder { get; }

        public FrozenDictionary<DateOnly, Holiday> ByDate { get; }
    }

    // The 1973 amendment (昭和48年法律第10号) introduced the substitute holiday as "the next day";
    // the 2005 amendment (平成17年法律第43号, in force 2007-01-01) made it "the nearest following day that is not a
    // national holiday" and let a citizens' holiday fall on any day that is not a national holiday.
    private const int Rules2007 = 2007;

    // The 1985 amendment (昭和60年法律第103号) introduced the citizens' holiday, in force 1985-12-27.
    private static readonly DateOnly CitizensHolidayFrom = new(1985, 12, 27);

    private static Holiday[] Compute(int year)
    {
        var national = new SortedDictionary<DateOnly, Holiday>();
        void Add(int month, int day, string ja, string en)
        {
            var date = new DateOnly(year, month, day);
            national.Add(date, new Holiday(date, ja, en));
        }
        void AddMonday(int month, int nth, string ja, string en)
        {
            var day = NthMonday(year, month, nth);
            national.Add(day, new Holiday(day, ja, en));
        }

        // 元日
        Add(1, 1, "元日", "New Year's Day");

        // 成人の日: January 15; the second Monday of January from 2000 (Happy Monday, 平成10年法律第141号).
        if (year >= 2000)
        {
            AddMonday(1, 2, "成人の日", "Coming of Age Day");
        }
        else
        {
            Add(1, 15, "成人の日", "Coming of Age Day");
        }

        // 建国記念の日 (since 1967).
        Add(2, 11, "建国記念の日", "National Foundation Day");

        // 天皇誕生日: April 29 (Showa) to 1988, December 23 (Heisei) 1989-2018, none in 2019, February 23 from 2020.
        if (year >= 2020)
        {
            Add(2, 23, "天皇誕生日", "The Emperor's Birthday");
        }

        // 春分の日
        Add(3, VernalEquinoxDay(year), "春分の日", "Vernal Equinox Day");

        // April 29: 天皇誕生日 to 1988, みどりの日 1989-2006, 昭和の日 from 2007.
        if (year <= 1988)
        {
            Add(4, 29, "天皇誕生日", "The Emperor's Birthday");
        }
        else if (year <= 2006)
        {
            Add(4, 29, "みどりの日", "Greenery Day");
        }
        else
        {
            Add(4, 29, "昭和の日", "Showa Day");
        }

        Add(5, 3, "憲法記念日", "Constitution Memorial Day");

        // May 4 became みどりの日 in 2007; before that it was a citizens' holiday by the sandwich rule (from 1988).
        if (year >= 2007)
        {
            Add(5, 4, "みどりの日", "Greenery Day");
        }

        Add(5, 5, "こどもの日", "Children's Day");

        // 海の日: July 20 1996-2002, the third Monday of July from 2003; moved for the Tokyo Olympics in 2020 and 2021
        // (平成30年法律第57号, 令和2年法律第68号).
        if (year == 2020)
        {
            Add(7, 23, "海の日", "Marine Day");
        }
        else if (year == 2021)
        {
            Add(7, 22, "海の日", "Marine Day");
        }
        else if (year >= 2003)
        {
            AddMonday(7, 3, "海の日", "Marine Day");
        }
        else if (year >= 1996)
        {
            Add(7, 20, "海の日", "Marine Day");
        }

        // 山の日: August 11 from 2016; August 10 in 2020 and August 8 in 2021 (Olympics).
        if (year == 2020)
        {
            Add(8, 10, "山の日", "Mountain Day");
        }
        else if (year == 2021)
        {
            Add(8, 8, "山の日", "Mountain Day");
        }
        else if (year >= 2016)
        {
            Add(8, 11, "山の日", "Mountain Day");
        }

        // 敬老の日: September 15; the third Monday of September from 2003.
        if (year >= 2003)
        {
            AddMonday(9, 3, "敬老の日", "Respect for the Aged Day");
        }
        else
        {
            Add(9, 15, "敬老の日", "Respect for the Aged Day");
        }

        // 秋分の日
        Add(9, AutumnalEquinoxDay(year), "秋分の日", "Autumnal Equinox Day");

        // 体育の日: October 10; the second Monday of October from 2000; renamed スポーツの日 from 2020,
        // which sat on July 24 in 2020 and July 23 in 2021 (Olympics).
        if (year == 2020)
        {
            Add(7, 24, "スポーツの日", "Sports Day");
        }
        else if (year == 2021)
        {
            Add(7, 23, "スポーツの日", "Sports Day");
        }
        else if (year >= 2020)
        {
            AddMonday(10, 2, "スポーツの日", "Sports Day");
        }
        else if (year >= 2000)
        {
            AddMonday(10, 2, "体育の日", "Health and Sports Day");
        }
        else
        {
            Add(10, 10, "体育の日", "Health and Sports Day");
        }

        Add(11, 3, "文化の日", "Culture Day");
        Add(11, 23, "勤労感謝の日", "Labor Thanksgiving Day");

        // 天皇誕生日 (Heisei).
        if (year is >= 1989 and <= 2018)
        {
            Add(12, 23, "天皇誕生日", "The Emperor's Birthday");
        }

        // Days off set once by special laws.
        switch (year)
        {
            case 1989: // 昭和天皇の大喪の礼の行われる日を休日とする法律
                Add(2, 24, "昭和天皇の大喪の礼", "State Funeral of Emperor Showa");
                break;
            case 1990: // 即位礼正殿の儀の行われる日を休日とする法律
                Add(11, 12, "即位礼正殿の儀", "Enthronement Ceremony");
                break;
            case 1993: // 皇太子徳仁親王の結婚の儀の行われる日を休日とする法律
                Add(6, 9, "皇太子徳仁親王の結婚の儀", "Wedding of Crown Prince Naruhito");
                break;
            case 2019: // 天皇の即位の日及び即位礼正殿の儀の行われる日を休日とする法律: both count as national holidays,
                       // so April 30 and May 2 become citizens' holidays by the general rule below.
                Add(5, 1, "即位の日", "Enthronement Day");
                Add(10, 22, "即位礼正殿の儀", "Enthronement Ceremony");
                break;
            default:
                break;
        }

        var all = new SortedDictionary<DateOnly, Holiday>(national);

        // 振替休日 (Article 3-2).
        foreach (var holiday in national.Values)
        {
            if (holiday.Date.DayOfWeek != DayOfWeek.Sunday)
            {
                continue;
            }
            var substitute = holiday.Date.AddDays(1);
            if (year >= Rules2007)
            {
                while (national.ContainsKey(substitute))
                {
                    substitute = substitute.AddDays(1);
                }
            }
            else if (national.ContainsKey(substitute))
            {
                continue; // "the next day" was itself a national holiday: no substitute under the 1973 rule
            }
            all.TryAdd(substitute, new Holiday(substitute, "振替休日", "Substitute Holiday", HolidayKind.Substitute));
        }

        // 国民の休日 (Article 3-3): a day whose previous and next days are both national holidays.
        // Before 2007 the law excluded Sundays and substitute holidays; from 2007 any day that is not a national holiday.
        foreach (var holiday in national.Values)
        {
            var day = holiday.Date.AddDays(1);
            if (day < CitizensHolidayFrom || day.Year != year || national.ContainsKey(day)
                || !national.ContainsKey(day.AddDays(1)))
            {
                continue;
            }
            if (year < Rules2007 && (day.DayOfWeek == DayOfWeek.Sunday || all.ContainsKey(day)))
            {
                continue;
            }
            all.TryAdd(day, new Holiday(day, "国民の休日", "Citizens' Holiday", HolidayKind.Citizens));
        }

        return [.. all.Values];
    }

    /// <summary>The day of March of the vernal equinox day (春分の日), by the standard approximation for 1980-2099.</summary>
    internal static int VernalEquinoxDay(int year) => EquinoxDay(20.8431m, year);

    /// <summary>The day of September of the autumnal equinox day (秋分の日), by the standard approximation for 1980-2099.</summary>
    internal static int AutumnalEquinoxDay(int year) => EquinoxDay(23.2488m, year);

    // floor(base + 0.242194 (Y - 1980) - floor((Y - 1980) / 4)); decimal keeps the arithmetic exact.
    private static int EquinoxDay(decimal baseDay, int year)
    {
        var y = year - 1980;
        return (int)decimal.Floor(baseDay + (0.242194m * y) - (y / 4));
    }

    private static DateOnly NthMonday(int year, int month, int nth)
    {
        var first = new DateOnly(year, month, 1);
        var offset = ((int)DayOfWeek.Monday - (int)first.DayOfWeek + 7) % 7;
        return first.AddDays(offset + (7 * (nth - 1)));
    }
}
