using CardAp.Shared.Hours;

namespace CardAp.Shared.Tests.Hours;

public class JapaneseHolidaysTests
{
    // The Cabinet Office list (内閣府「国民の祝日について」, syukujitsu.csv), year by year.
    public static TheoryData<int, string[]> PublishedYears => new()
    {
        {
            2019,
            [
                "01-01 元日", "01-14 成人の日", "02-11 建国記念の日", "03-21 春分の日",
                "04-29 昭和の日", "04-30 国民の休日", "05-01 即位の日", "05-02 国民の休日",
                "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日", "05-06 振替休日",
                "07-15 海の日", "08-11 山の日", "08-12 振替休日", "09-16 敬老の日", "09-23 秋分の日",
                "10-14 体育の日", "10-22 即位礼正殿の儀", "11-03 文化の日", "11-04 振替休日", "11-23 勤労感謝の日",
            ]
        },
        {
            2020,
            [
                "01-01 元日", "01-13 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "02-24 振替休日",
                "03-20 春分の日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日",
                "05-06 振替休日", "07-23 海の日", "07-24 スポーツの日", "08-10 山の日", "09-21 敬老の日",
                "09-22 秋分の日", "11-03 文化の日", "11-23 勤労感謝の日",
            ]
        },
        {
            2021,
            [
                "01-01 元日", "01-11 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "03-20 春分の日",
                "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日", "07-22 海の日",
                "07-23 スポーツの日", "08-08 山の日", "08-09 振替休日", "09-20 敬老の日", "09-23 秋分の日",
                "11-03 文化の日", "11-23 勤労感謝の日",
            ]
        },
        {
            2024,
            [
                "01-01 元日", "01-08 成人の日", "02-11 建国記念の日", "02-12 振替休日", "02-23 天皇誕生日",
                "03-20 春分の日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日",
                "05-06 振替休日", "07-15 海の日", "08-11 山の日", "08-12 振替休日", "09-16 敬老の日",
                "09-22 秋分の日", "09-23 振替休日", "10-14 スポーツの日", "11-03 文化の日", "11-04 振替休日",
                "11-23 勤労感謝の日",
            ]
        },
        {
            2025,
            [
                "01-01 元日", "01-13 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "02-24 振替休日",
                "03-20 春分の日", "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日",
                "05-06 振替休日", "07-21 海の日", "08-11 山の日", "09-15 敬老の日", "09-23 秋分の日",
                "10-13 スポーツの日", "11-03 文化の日", "11-23 勤労感謝の日", "11-24 振替休日",
            ]
        },
        {
            2026,
            [
                "01-01 元日", "01-12 成人の日", "02-11 建国記念の日", "02-23 天皇誕生日", "03-20 春分の日",
                "04-29 昭和の日", "05-03 憲法記念日", "05-04 みどりの日", "05-05 こどもの日", "05-06 振替休日",
                "07-20 海の日", "08-11 山の日", "09-21 敬老の日", "09-22 国民の休日", "09-23 秋分の日",
                "10-12 スポーツの日", "11-03 文化の日", "11-23 勤労感謝の日",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(PublishedYears))]
    public void Every_holiday_of_the_year_matches_the_Cabinet_Office_list(int year, string[] expected)
    {
        var actual = JapaneseHolidays.HolidaysIn(year).Select(h => $"{h.Date:MM-dd} {h.NameJa}").ToArray();

        Assert.Equal(expected, actual);
        foreach (var holiday in JapaneseHolidays.HolidaysIn(year))
        {
            Assert.Equal(year, holiday.Date.Year);
            Assert.True(JapaneseHolidays.IsHoliday(holiday.Date));
            Assert.Equal(holiday.NameJa, JapaneseHolidays.HolidayName(holiday.Date));
            Assert.Same(holiday, JapaneseHolidays.GetHoliday(holiday.Date));
            Assert.False(string.IsNullOrWhiteSpace(holiday.NameEn));
        }
    }

    [Theory]
    [MemberData(nameof(PublishedYears))]
    public void Every_other_day_of_the_year_is_no_holiday(int year, string[] expected)
    {
        var holidays = expected.Select(e => DateOnly.ParseExact($"{year}-{e[..5]}", "yyyy-MM-dd")).ToHashSet();
        for (var day = new DateOnly(year, 1, 1); day.Year == year; day = day.AddDays(1))
        {
            Assert.Equal(holidays.Contains(day), JapaneseHolidays.IsHoliday(day));
            if (!holidays.Contains(day))
            {
                Assert.Null(JapaneseHolidays.HolidayName(day));
                Assert.Null(JapaneseHolidays.GetHoliday(day));
            }
        }
    }

    [Fact]
    public void Holidays_carry_English_names_and_their_kind()
    {
        Assert.Equal(
            new Holiday(new DateOnly(2026, 11, 3), "文化の日", "Culture Day", HolidayKind.National),
            JapaneseHolidays.GetHoliday(new DateOnly(2026, 11, 3)));
        Assert.Equal(
            new Holiday(new DateOnly(2026, 5, 6), "振替休日", "Substitute Holiday", HolidayKind.Substitute),
            JapaneseHolidays.GetHoliday(new DateOnly(2026, 5, 6)));
        Assert.Equal(
            new Holiday(new DateOnly(2026, 9, 22), "国民の休日", "Citizens' Holiday", HolidayKind.Citizens),
            JapaneseHolidays.GetHoliday(new DateOnly(2026, 9, 22)));
        Assert.Equal("The Emperor's Birthday", JapaneseHolidays.GetHoliday(new DateOnly(2026, 2, 23))!.NameEn);
        Assert.Equal("Sports Day", JapaneseHolidays.GetHoliday(new DateOnly(2026, 10, 12))!.NameEn);
        Assert.Equal("Health and Sports Day", JapaneseHolidays.GetHoliday(new DateOnly(2019, 10, 14))!.NameEn);
    }

    [Fact]
    public void The_Emperors_Birthday_follows_the_reign_and_is_missing_in_2019()
    {
        Assert.Equal("天皇誕生日", JapaneseHolidays.HolidayName(new DateOnly(1988, 4, 29)));
        Assert.Equal("みどりの日", JapaneseHolidays.HolidayName(new DateOnly(1989, 4, 29)));
        Assert.Equal("天皇誕生日", JapaneseHolidays.HolidayName(new DateOnly(1989, 12, 23)));
        Assert.Equal("天皇誕生日", JapaneseHolidays.HolidayName(new DateOnly(2018, 12, 23)));
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(2019, 12, 23)));
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(2019, 2, 23)));
        Assert.Equal("天皇誕生日", JapaneseHolidays.HolidayName(new DateOnly(2020, 2, 23)));
        Assert.DoesNotContain(JapaneseHolidays.HolidaysIn(2019), h => h.NameJa == "天皇誕生日");
    }

    [Fact]
    public void April_29_and_May_4_follow_the_history_of_the_law()
    {
        Assert.Equal("みどりの日", JapaneseHolidays.HolidayName(new DateOnly(2006, 4, 29)));
        Assert.Equal("国民の休日", JapaneseHolidays.HolidayName(new DateOnly(2006, 5, 4)));
        Assert.Equal("昭和の日", JapaneseHolidays.HolidayName(new DateOnly(2007, 4, 29)));
        Assert.Equal("みどりの日", JapaneseHolidays.HolidayName(new DateOnly(2007, 5, 4)));
        // The citizens' holiday began with the 1985 amendment: May 4 1988 was the first one.
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(1985, 5, 4)));
        Assert.Equal("国民の休日", JapaneseHolidays.HolidayName(new DateOnly(1988, 5, 4)));
    }

    [Fact]
    public void Happy_Monday_holidays_were_fixed_dates_before()
    {
        Assert.Equal("成人の日", JapaneseHolidays.HolidayName(new DateOnly(1999, 1, 15)));
        Assert.Equal("成人の日", JapaneseHolidays.HolidayName(new DateOnly(2000, 1, 10)));
        Assert.Equal("体育の日", JapaneseHolidays.HolidayName(new DateOnly(1999, 10, 10)));
        Assert.Equal("体育の日", JapaneseHolidays.HolidayName(new DateOnly(2000, 10, 9)));
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(1995, 7, 20)));
        Assert.Equal("海の日", JapaneseHolidays.HolidayName(new DateOnly(1996, 7, 20)));
        Assert.Equal("海の日", JapaneseHolidays.HolidayName(new DateOnly(2002, 7, 20)));
        Assert.Equal("海の日", JapaneseHolidays.HolidayName(new DateOnly(2003, 7, 21)));
        Assert.Equal("敬老の日", JapaneseHolidays.HolidayName(new DateOnly(2002, 9, 15)));
        Assert.Equal("敬老の日", JapaneseHolidays.HolidayName(new DateOnly(2003, 9, 15)));
        Assert.Equal("敬老の日", JapaneseHolidays.HolidayName(new DateOnly(2004, 9, 20)));
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(2015, 8, 11)));
        Assert.Equal("山の日", JapaneseHolidays.HolidayName(new DateOnly(2016, 8, 11)));
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(2021, 10, 11))); // スポーツの日 moved to July 23
    }

    [Fact]
    public void A_substitute_holiday_follows_the_May_holidays_when_May_3_or_4_is_a_Sunday()
    {
        // 2007 rule: the nearest following day that is not a national holiday.
        Assert.Equal("振替休日", JapaneseHolidays.HolidayName(new DateOnly(2015, 5, 6))); // May 3 Sunday
        Assert.Equal("振替休日", JapaneseHolidays.HolidayName(new DateOnly(2008, 5, 6))); // May 4 Sunday
        Assert.Equal("振替休日", JapaneseHolidays.HolidayName(new DateOnly(2009, 5, 6))); // May 3 Sunday
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(2014, 5, 7)));               // May 4 Sunday 2014 → May 6
        Assert.Equal("振替休日", JapaneseHolidays.HolidayName(new DateOnly(2014, 5, 6)));
        // 1973 rule: the next day, so May 4 (before 2007 May 4 was no national holiday).
        Assert.Equal("振替休日", JapaneseHolidays.HolidayName(new DateOnly(1987, 5, 4)));
        Assert.Equal("振替休日", JapaneseHolidays.HolidayName(new DateOnly(1998, 5, 4)));
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(1998, 5, 6)));
        // May 5 on a Sunday: the 6th under both rules.
        Assert.Equal("振替休日", JapaneseHolidays.HolidayName(new DateOnly(2002, 5, 6)));
        Assert.Equal("振替休日", JapaneseHolidays.HolidayName(new DateOnly(2013, 5, 6)));
    }

    [Fact]
    public void A_weekday_between_two_national_holidays_is_a_citizens_holiday()
    {
        Assert.Equal("国民の休日", JapaneseHolidays.HolidayName(new DateOnly(2009, 9, 22)));
        Assert.Equal("国民の休日", JapaneseHolidays.HolidayName(new DateOnly(2015, 9, 22)));
        Assert.Equal("国民の休日", JapaneseHolidays.HolidayName(new DateOnly(2026, 9, 22)));
        // In 2032 the equinox falls on Wednesday the 22nd and 敬老の日 on Monday the 20th: Tuesday the 21st is the day off.
        Assert.Equal("敬老の日", JapaneseHolidays.HolidayName(new DateOnly(2032, 9, 20)));
        Assert.Equal("国民の休日", JapaneseHolidays.HolidayName(new DateOnly(2032, 9, 21)));
        Assert.Equal("秋分の日", JapaneseHolidays.HolidayName(new DateOnly(2032, 9, 22)));
        Assert.Equal("国民の休日", JapaneseHolidays.HolidayName(new DateOnly(2037, 9, 22)));
        // Not sandwiched: 2020's equinox (Tuesday the 22nd) directly follows 敬老の日.
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(2020, 9, 23)));
        Assert.False(JapaneseHolidays.IsHoliday(new DateOnly(2025, 9, 16)));
    }

    [Fact]
    public void One_off_days_set_by_special_laws_are_holidays()
    {
        Assert.Equal("昭和天皇の大喪の礼", JapaneseHolidays.HolidayName(new DateOnly(1989, 2, 24)));
        Assert.Equal("即位礼正殿の儀", JapaneseHolidays.HolidayName(new DateOnly(1990, 11, 12)));
        Assert.Equal("皇太子徳仁親王の結婚の儀", JapaneseHolidays.HolidayName(new DateOnly(1993, 6, 9)));
        Assert.Equal("即位の日", JapaneseHolidays.HolidayName(new DateOnly(2019, 5, 1)));
        Assert.Equal("即位礼正殿の儀", JapaneseHolidays.HolidayName(new DateOnly(2019, 10, 22)));
        Assert.Equal(HolidayKind.Citizens, JapaneseHolidays.GetHoliday(new DateOnly(2019, 4, 30))!.Kind);
        Assert.Equal(HolidayKind.Citizens, JapaneseHolidays.GetHoliday(new DateOnly(2019, 5, 2))!.Kind);
    }

    [Theory]
    // Equinox days as published (国立天文台 暦要項) and by the formula.
    [InlineData(1980, 20, 23)]
    [InlineData(1995, 21, 23)]
    [InlineData(2000, 20, 23)]
    [InlineData(2012, 20, 22)]
    [InlineData(2023, 21, 23)]
    [InlineData(2027, 21, 23)]
    [InlineData(2028, 20, 22)]
    [InlineData(2030, 20, 23)]
    [InlineData(2044, 20, 22)]
    [InlineData(2092, 19, 22)]
    [InlineData(2099, 20, 23)]
    public void Equinox_days_follow_the_approximation(int year, int marchDay, int septemberDay)
    {
        Assert.Equal("春分の日", JapaneseHolidays.HolidayName(new DateOnly(year, 3, marchDay)));
        Assert.Equal("秋分の日", JapaneseHolidays.HolidayName(new DateOnly(year, 9, septemberDay)));
    }

    [Fact]
    public void Every_supported_year_computes_and_obeys_the_laws_rules()
    {
        for (var year = JapaneseHolidays.MinYear; year <= JapaneseHolidays.MaxYear; year++)
        {
            var holidays = JapaneseHolidays.HolidaysIn(year);
            Assert.InRange(holidays.Count, 12, 24);
            Assert.Equal(holidays.OrderBy(h => h.Date), holidays);
            Assert.Equal(holidays.Count, holidays.Select(h => h.Date).Distinct().Count());
            foreach (var substitute in holidays.Where(h => h.Kind == HolidayKind.Substitute))
            {
                Assert.NotEqual(DayOfWeek.Sunday, substitute.Date.DayOfWeek);
                Assert.Contains(holidays, h => h.Kind == HolidayKind.National
                    && h.Date.DayOfWeek == DayOfWeek.Sunday && h.Date < substitute.Date
                    && h.Date.DayNumber >= substitute.Date.DayNumber - 3);
            }
            foreach (var sunday in holidays.Where(h => h.Kind == HolidayKind.National && h.Date.DayOfWeek == DayOfWeek.Sunday))
            {
                Assert.Contains(holidays, h => h.Kind == HolidayKind.Substitute
                    && h.Date > sunday.Date && h.Date.DayNumber <= sunday.Date.DayNumber + 3);
            }
        }
    }

    [Theory]
    [InlineData(1979)]
    [InlineData(2100)]
    public void Years_outside_the_supported_range_are_refused(int year)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JapaneseHolidays.HolidaysIn(year));
        Assert.Throws<ArgumentOutOfRangeException>(() => JapaneseHolidays.IsHoliday(new DateOnly(year, 1, 1)));
        Assert.False(JapaneseHolidays.IsSupportedYear(year));
    }

    [Fact]
    public void Years_are_cached()
    {
        Assert.Same(JapaneseHolidays.HolidaysIn(2026), JapaneseHolidays.HolidaysIn(2026));
    }
}
