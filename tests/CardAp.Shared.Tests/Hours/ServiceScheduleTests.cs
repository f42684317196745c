using CardAp.Shared.Hours;

namespace CardAp.Shared.Tests.Hours;

public class ServiceScheduleTests
{
    private static OpeningInterval I(string text) => OpeningInterval.Parse(text);

    private static ServiceSchedule Schedule(DayOfWeek day, params OpeningInterval[] intervals) =>
        new(new Dictionary<DayOfWeek, IReadOnlyList<OpeningInterval>> { [day] = intervals });

    [Fact]
    public void An_interval_that_closes_before_it_opens_is_refused_naming_the_day()
    {
        var e = Assert.Throws<ArgumentException>(() => Schedule(DayOfWeek.Tuesday, I("17:00-09:00")));

        Assert.Contains("Tuesday", e.Message, StringComparison.Ordinal);
        Assert.Contains("17:00-09:00", e.Message, StringComparison.Ordinal);
        Assert.Contains("close", e.Message, StringComparison.Ordinal);
        Assert.Equal("weeklyHours", e.ParamName);
    }

    [Fact]
    public void An_empty_interval_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Schedule(DayOfWeek.Friday, I("09:00-09:00")));

        Assert.Contains("Friday", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_intervals_are_refused_naming_the_day_and_both_intervals()
    {
        var e = Assert.Throws<ArgumentException>(() => Schedule(DayOfWeek.Saturday, I("13:00-17:00"), I("09:00-13:30")));

        Assert.Contains("Saturday", e.Message, StringComparison.Ordinal);
        Assert.Contains("09:00-13:30", e.Message, StringComparison.Ordinal);
        Assert.Contains("13:00-17:00", e.Message, StringComparison.Ordinal);
        Assert.Contains("overlap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Intervals_that_touch_do_not_overlap_and_are_kept_in_order()
    {
        var schedule = Schedule(DayOfWeek.Monday, I("13:00-17:00"), I("09:00-13:00"));

        Assert.Equal([I("09:00-13:00"), I("13:00-17:00")], schedule.IntervalsOn(DayOfWeek.Monday));
        Assert.Empty(schedule.IntervalsOn(DayOfWeek.Sunday));
    }

    [Fact]
    public void A_value_that_is_not_a_day_of_the_week_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Schedule((DayOfWeek)7, I("09:00-17:00")));

        Assert.Contains("7 is not a day of the week", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_closure_date_listed_twice_is_refused_naming_the_date()
    {
        var closures = LocalClosure.NewYearHolidays(2026).Append(new LocalClosure(new DateOnly(2026, 12, 30), "蔵書点検"));

        var e = Assert.Throws<ArgumentException>(() => ServiceSchedule.Weekdays(I("09:00-17:00")).WithClosures(closures));

        Assert.Contains("2026-12-30", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_closure_reason_given_in_one_language_serves_both()
    {
        var japaneseOnly = new LocalClosure(new DateOnly(2026, 6, 10), "蔵書点検");
        var englishOnly = new LocalClosure(new DateOnly(2026, 6, 10), ReasonEn: "inventory");
        var none = new LocalClosure(new DateOnly(2026, 6, 10), " ", "");

        Assert.Equal(("蔵書点検", "蔵書点検"), (japaneseOnly.DisplayReasonJa, japaneseOnly.DisplayReasonEn));
        Assert.Equal(("inventory", "inventory"), (englishOnly.DisplayReasonJa, englishOnly.DisplayReasonEn));
        Assert.Equal((null, null), (none.DisplayReasonJa, none.DisplayReasonEn));
    }

    [Fact]
    public void A_closure_period_must_not_end_before_it_begins()
    {
        Assert.Throws<ArgumentException>(() => LocalClosure.Range(new DateOnly(2026, 6, 10), new DateOnly(2026, 6, 9)));
    }

    [Fact]
    public void Year_end_closure_runs_from_December_29_to_January_3()
    {
        var days = LocalClosure.NewYearHolidays(2026).ToList();

        Assert.Equal(6, days.Count);
        Assert.Equal(new DateOnly(2026, 12, 29), days[0].Date);
        Assert.Equal(new DateOnly(2027, 1, 3), days[^1].Date);
        Assert.All(days, d => Assert.Equal("年末年始", d.ReasonJa));
        Assert.All(days, d => Assert.Equal("year-end and New Year holidays", d.ReasonEn));
    }

    [Theory]
    [InlineData("09:00-17:15", 9, 0, 17, 15)]
    [InlineData("8:30-12:00", 8, 30, 12, 0)]
    [InlineData(" 13:00 - 24:00 ", 13, 0, -1, -1)]
    public void Intervals_parse_from_text(string text, int openHour, int openMinute, int closeHour, int closeMinute)
    {
        var interval = OpeningInterval.Parse(text);

        Assert.Equal(new TimeOnly(openHour, openMinute), interval.Open);
        Assert.Equal(closeHour < 0 ? TimeOnly.MaxValue : new TimeOnly(closeHour, closeMinute), interval.Close);
    }

    [Theory]
    [InlineData("")]
    [InlineData("09:00")]
    [InlineData("9-17")]
    [InlineData("09:00-25:00")]
    public void Text_that_is_not_an_interval_is_refused(string text)
    {
        Assert.Throws<FormatException>(() => OpeningInterval.Parse(text));
    }

    [Fact]
    public void An_interval_to_midnight_prints_as_24_00()
    {
        Assert.Equal("18:00-24:00", OpeningInterval.UntilMidnight(new TimeOnly(18, 0)).ToString());
        Assert.Equal("00:00-24:00", OpeningInterval.AllDay.ToString());
    }

    [Fact]
    public void Schedules_read_from_master_data_text()
    {
        var schedule = ServiceSchedule.FromText(
            new Dictionary<string, string[]>
            {
                ["monday"] = ["09:00-12:00", "13:00-17:15"],
                ["Saturday"] = ["18:00-24:00"],
                ["sunday"] = [],
            },
            openOnNationalHolidays: true);

        Assert.Equal(new[] { I("09:00-12:00"), I("13:00-17:15") }, schedule.IntervalsOn(DayOfWeek.Monday));
        Assert.Equal(new[] { OpeningInterval.UntilMidnight(new TimeOnly(18, 0)) }, schedule.IntervalsOn(DayOfWeek.Saturday));
        Assert.Empty(schedule.IntervalsOn(DayOfWeek.Sunday));
        Assert.True(schedule.OpenOnNationalHolidays);
    }

    [Theory]
    [InlineData("funday", "09:00-17:00", "'funday' is not a day of the week")]
    [InlineData("1", "09:00-17:00", "'1' is not a day of the week")]
    [InlineData("wednesday", "9am-5pm", "Wednesday: '9am-5pm' is not an opening interval")]
    [InlineData("thursday", "12:00-11:00", "Thursday: the interval 12:00-11:00 does not close after it opens")]
    public void Unreadable_master_data_text_is_refused_naming_the_day(string day, string interval, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => ServiceSchedule.FromText(new Dictionary<string, string[]> { [day] = [interval] }));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Always_open_is_open_every_day_around_the_clock_including_holidays()
    {
        var schedule = ServiceSchedule.AlwaysOpen();

        Assert.True(schedule.IsAlwaysOpen);
        Assert.True(schedule.OpenOnNationalHolidays);
        Assert.Empty(schedule.Closures);
        Assert.All(Enum.GetValues<DayOfWeek>(), d => Assert.Equal([OpeningInterval.AllDay], schedule.IntervalsOn(d)));
        Assert.False(ServiceSchedule.Weekdays(I("09:00-17:00")).IsAlwaysOpen);
    }
}
