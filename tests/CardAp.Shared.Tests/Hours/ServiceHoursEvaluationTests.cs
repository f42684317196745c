using CardAp.Shared.Hours;

namespace CardAp.Shared.Tests.Hours;

public class ServiceHoursEvaluationTests
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private static DateTimeOffset At(int year, int month, int day, int hour, int minute, int second = 0) =>
        new(year, month, day, hour, minute, second, Jst);

    private static OpeningInterval I(string text) => OpeningInterval.Parse(text);

    // A town office counter (窓口): weekdays 8:30-17:15, closed on holidays.
    private static readonly ServiceSchedule Office = ServiceSchedule.Weekdays(I("08:30-17:15"));

    // A library: closed on Mondays, Tuesday to Friday 9:00-19:00, weekends 9:00-17:00, closed on holidays.
    private static ServiceSchedule Library(bool openOnHolidays = false) => new(
        new Dictionary<DayOfWeek, IReadOnlyList<OpeningInterval>>
        {
            [DayOfWeek.Tuesday] = [I("09:00-19:00")],
            [DayOfWeek.Wednesday] = [I("09:00-19:00")],
            [DayOfWeek.Thursday] = [I("09:00-19:00")],
            [DayOfWeek.Friday] = [I("09:00-19:00")],
            [DayOfWeek.Saturday] = [I("09:00-17:00")],
            [DayOfWeek.Sunday] = [I("09:00-17:00")],
        },
        openOnHolidays);

    // A branch office with a lunch break (昼休み) on Mondays.
    private static readonly ServiceSchedule BranchOffice = new(
        new Dictionary<DayOfWeek, IReadOnlyList<OpeningInterval>>
        {
            [DayOfWeek.Monday] = [I("13:00-17:00"), I("09:00-12:00")],
        });

    [Fact]
    public void Opening_time_is_inclusive_and_closing_time_exclusive()
    {
        Assert.False(Office.IsOpenAt(At(2026, 6, 16, 8, 30).AddTicks(-1)));
        Assert.True(Office.IsOpenAt(At(2026, 6, 16, 8, 30)));
        Assert.True(Office.IsOpenAt(At(2026, 6, 16, 17, 15).AddTicks(-1)));
        Assert.False(Office.IsOpenAt(At(2026, 6, 16, 17, 15)));

        var opening = Assert.IsType<ServiceHoursStatus.Open>(Office.Evaluate(At(2026, 6, 16, 8, 30), "the counter", "窓口"));
        Assert.Equal(At(2026, 6, 16, 17, 15), opening.ClosesAt);
        Assert.Equal("The counter is open until 17:15.", opening.MessageEn);
        Assert.Equal("窓口は営業中です(17:15まで)。", opening.MessageJa);

        var closing = Assert.IsType<ServiceHoursStatus.Closed>(Office.Evaluate(At(2026, 6, 16, 17, 15), "the counter", "窓口"));
        Assert.Equal(ClosedReason.OutsideHours, closing.Reason);
        Assert.Equal(At(2026, 6, 17, 8, 30), closing.NextOpening);

        var early = Assert.IsType<ServiceHoursStatus.Closed>(Office.Evaluate(At(2026, 6, 16, 8, 29, 59), "the counter", "窓口"));
        Assert.Equal(At(2026, 6, 16, 8, 30), early.NextOpening);
        Assert.Equal("The counter is closed (outside service hours). It opens on Tue 2026-06-16 at 08:30.", early.MessageEn);
        Assert.Equal("窓口は休業中です(サービス時間外)。次の開始は2026年6月16日(火) 8:30です。", early.MessageJa);
    }

    [Fact]
    public void Instants_are_read_in_Japan_time_whatever_their_offset()
    {
        // 23:30 UTC on Monday is 8:30 on Tuesday in Japan.
        var utc = new DateTimeOffset(2026, 6, 15, 23, 30, 0, TimeSpan.Zero);

        var status = Office.Evaluate(utc, "the counter", "窓口");

        Assert.True(status.IsOpen);
        Assert.Equal(Jst, status.At.Offset);
        Assert.Equal(At(2026, 6, 16, 8, 30), status.At);
        Assert.Equal(Jst, Assert.IsType<ServiceHoursStatus.Open>(status).ClosesAt!.Value.Offset);
        Assert.False(Office.IsOpenAt(new DateTimeOffset(2026, 6, 16, 8, 30, 0, TimeSpan.Zero))); // 17:30 JST
    }

    [Fact]
    public void A_lunch_break_closes_the_service_until_the_afternoon_interval()
    {
        var morning = Assert.IsType<ServiceHoursStatus.Open>(BranchOffice.Evaluate(At(2026, 6, 15, 11, 0), "the branch office", "支所"));
        Assert.Equal(At(2026, 6, 15, 12, 0), morning.ClosesAt);

        var lunch = Assert.IsType<ServiceHoursStatus.Closed>(BranchOffice.Evaluate(At(2026, 6, 15, 12, 0), "the branch office", "支所"));
        Assert.Equal(ClosedReason.OutsideHours, lunch.Reason);
        Assert.Equal(At(2026, 6, 15, 13, 0), lunch.NextOpening);
        Assert.Equal("The branch office is closed (outside service hours). It opens on Mon 2026-06-15 at 13:00.", lunch.MessageEn);
        Assert.Equal("支所は休業中です(サービス時間外)。次の開始は2026年6月15日(月) 13:00です。", lunch.MessageJa);

        Assert.False(BranchOffice.IsOpenAt(At(2026, 6, 15, 12, 59, 59)));
        Assert.True(BranchOffice.IsOpenAt(At(2026, 6, 15, 13, 0)));

        // After the afternoon interval the next opening is the next Monday morning.
        var evening = Assert.IsType<ServiceHoursStatus.Closed>(BranchOffice.Evaluate(At(2026, 6, 15, 17, 0), "the branch office", "支所"));
        Assert.Equal(At(2026, 6, 22, 9, 0), evening.NextOpening);
    }

    [Fact]
    public void On_a_weekday_without_service_the_message_says_it_is_the_regular_closing_day()
    {
        var closed = Assert.IsType<ServiceHoursStatus.Closed>(Library().Evaluate(At(2026, 6, 15, 10, 0), "the library", "図書館"));

        Assert.Equal(ClosedReason.OutsideHours, closed.Reason);
        Assert.Equal("The library is closed (no service on Mondays). It opens on Tue 2026-06-16 at 09:00.", closed.MessageEn);
        Assert.Equal("図書館は休業中です(定休日)。次の開始は2026年6月16日(火) 9:00です。", closed.MessageJa);
    }

    [Fact]
    public void On_a_national_holiday_the_message_names_the_holiday_and_the_next_opening()
    {
        var status = Library().Evaluate(At(2026, 11, 3, 10, 0), "the library", "図書館");

        var closed = Assert.IsType<ServiceHoursStatus.Closed>(status);
        Assert.Equal(ClosedReason.NationalHoliday, closed.Reason);
        Assert.Equal("文化の日", closed.Holiday!.NameJa);
        Assert.Equal(At(2026, 11, 4, 9, 0), closed.NextOpening);
        Assert.Equal("The library is closed (national holiday: 文化の日 Culture Day). It opens on Wed 2026-11-04 at 09:00.", closed.MessageEn);
        Assert.Equal("図書館は休業中です(祝日: 文化の日)。次の開始は2026年11月4日(水) 9:00です。", closed.MessageJa);
    }

    [Fact]
    public void A_service_open_on_holidays_follows_its_weekly_hours_on_a_holiday()
    {
        var status = Library(openOnHolidays: true).Evaluate(At(2026, 11, 3, 10, 0), "the library", "図書館");

        var open = Assert.IsType<ServiceHoursStatus.Open>(status);
        Assert.Equal(At(2026, 11, 3, 19, 0), open.ClosesAt);
        Assert.Equal("The library is open until 19:00.", open.MessageEn);
    }

    [Fact]
    public void After_Golden_Week_2026_the_next_opening_skips_the_weekend_the_holidays_and_the_substitute_holiday()
    {
        // Friday May 1 after hours; Sat 2, Sun 3 (憲法記念日), Mon 4 (みどりの日), Tue 5 (こどもの日), Wed 6 (振替休日).
        var friday = Assert.IsType<ServiceHoursStatus.Closed>(Office.Evaluate(At(2026, 5, 1, 17, 15), "the counter", "窓口"));
        Assert.Equal(ClosedReason.OutsideHours, friday.Reason);
        Assert.Equal(At(2026, 5, 7, 8, 30), friday.NextOpening);
        Assert.Contains("It opens on Thu 2026-05-07 at 08:30.", friday.MessageEn, StringComparison.Ordinal);
        Assert.Contains("次の開始は2026年5月7日(木) 8:30です。", friday.MessageJa, StringComparison.Ordinal);

        var monday = Assert.IsType<ServiceHoursStatus.Closed>(Office.Evaluate(At(2026, 5, 4, 10, 0), "the counter", "窓口"));
        Assert.Equal(ClosedReason.NationalHoliday, monday.Reason);
        Assert.Equal("みどりの日", monday.Holiday!.NameJa);
        Assert.Equal(At(2026, 5, 7, 8, 30), monday.NextOpening);

        var substitute = Assert.IsType<ServiceHoursStatus.Closed>(Office.Evaluate(At(2026, 5, 6, 9, 0), "the counter", "窓口"));
        Assert.Equal(ClosedReason.NationalHoliday, substitute.Reason);
        Assert.Equal(HolidayKind.Substitute, substitute.Holiday!.Kind);
        Assert.Equal("The counter is closed (holiday: 振替休日 Substitute Holiday). It opens on Thu 2026-05-07 at 08:30.", substitute.MessageEn);
        Assert.Equal("窓口は休業中です(休日: 振替休日)。次の開始は2026年5月7日(木) 8:30です。", substitute.MessageJa);
    }

    [Fact]
    public void The_citizens_holiday_of_September_2026_is_skipped_too()
    {
        // Sat 19, Sun 20, Mon 21 (敬老の日), Tue 22 (国民の休日), Wed 23 (秋分の日).
        var closed = Assert.IsType<ServiceHoursStatus.Closed>(Office.Evaluate(At(2026, 9, 18, 18, 0), "the counter", "窓口"));

        Assert.Equal(At(2026, 9, 24, 8, 30), closed.NextOpening);
    }

    [Fact]
    public void Year_end_closure_takes_precedence_and_names_its_reason()
    {
        var office = Office.WithClosures(LocalClosure.NewYearHolidays(2026));

        var lastDay = Assert.IsType<ServiceHoursStatus.Closed>(office.Evaluate(At(2026, 12, 28, 17, 15), "the counter", "窓口"));
        Assert.Equal(ClosedReason.OutsideHours, lastDay.Reason);
        Assert.Equal(At(2027, 1, 4, 8, 30), lastDay.NextOpening);

        var newYear = Assert.IsType<ServiceHoursStatus.Closed>(office.Evaluate(At(2027, 1, 1, 10, 0), "the counter", "窓口"));
        Assert.Equal(ClosedReason.LocalClosure, newYear.Reason);
        Assert.Equal("年末年始", newYear.Closure!.ReasonJa);
        Assert.Null(newYear.Holiday);
        Assert.Equal(At(2027, 1, 4, 8, 30), newYear.NextOpening);
        Assert.Equal("The counter is closed (closure day: year-end and New Year holidays). It opens on Mon 2027-01-04 at 08:30.", newYear.MessageEn);
        Assert.Equal("窓口は休業中です(休業日: 年末年始)。次の開始は2027年1月4日(月) 8:30です。", newYear.MessageJa);

        var weekday = Assert.IsType<ServiceHoursStatus.Closed>(office.Evaluate(At(2026, 12, 29, 10, 0), "the counter", "窓口"));
        Assert.Equal(ClosedReason.LocalClosure, weekday.Reason);
    }

    [Fact]
    public void A_closure_with_reasons_in_both_languages_uses_each_in_its_message()
    {
        var library = Library().WithClosures(LocalClosure.Range(new DateOnly(2026, 6, 9), new DateOnly(2026, 6, 12), "蔵書点検", "inventory"));

        var closed = Assert.IsType<ServiceHoursStatus.Closed>(library.Evaluate(At(2026, 6, 10, 10, 0), "the library", "図書館"));

        Assert.Equal("The library is closed (closure day: inventory). It opens on Sat 2026-06-13 at 09:00.", closed.MessageEn);
        Assert.Equal("図書館は休業中です(休業日: 蔵書点検)。次の開始は2026年6月13日(土) 9:00です。", closed.MessageJa);
    }

    [Fact]
    public void A_closure_without_a_reason_still_says_it_is_a_closure_day()
    {
        var library = Library().WithClosures([new LocalClosure(new DateOnly(2026, 6, 10))]);

        var closed = Assert.IsType<ServiceHoursStatus.Closed>(library.Evaluate(At(2026, 6, 10, 10, 0), "the library", "図書館"));

        Assert.Equal("The library is closed (closure day). It opens on Thu 2026-06-11 at 09:00.", closed.MessageEn);
        Assert.Equal("図書館は休業中です(休業日)。次の開始は2026年6月11日(木) 9:00です。", closed.MessageJa);
    }

    [Fact]
    public void Always_open_is_open_at_any_instant_even_on_holidays()
    {
        var shelter = ServiceSchedule.AlwaysOpen();

        foreach (var instant in new[] { At(2026, 1, 1, 0, 0), At(2026, 5, 6, 3, 33), At(2026, 12, 31, 23, 59, 59), At(2099, 12, 31, 23, 0) })
        {
            var open = Assert.IsType<ServiceHoursStatus.Open>(shelter.Evaluate(instant, "shelter reception", "避難者受付"));
            Assert.Null(open.ClosesAt);
            Assert.Equal("Shelter reception is open.", open.MessageEn);
            Assert.Equal("避難者受付は営業中です。", open.MessageJa);
            Assert.Equal(instant, shelter.NextOpening(instant));
        }
    }

    [Fact]
    public void Always_open_with_a_closure_reopens_at_midnight_after_it()
    {
        var shelter = ServiceSchedule.AlwaysOpen().WithClosures([new LocalClosure(new DateOnly(2026, 7, 1), "設備点検")]);

        var before = Assert.IsType<ServiceHoursStatus.Open>(shelter.Evaluate(At(2026, 6, 30, 20, 0), "shelter reception", "避難者受付"));
        Assert.Equal(At(2026, 7, 1, 0, 0), before.ClosesAt);
        Assert.Equal("Shelter reception is open until midnight.", before.MessageEn);
        Assert.Equal("避難者受付は営業中です(24:00まで)。", before.MessageJa);

        var during = Assert.IsType<ServiceHoursStatus.Closed>(shelter.Evaluate(At(2026, 7, 1, 12, 0), "shelter reception", "避難者受付"));
        Assert.Equal(At(2026, 7, 2, 0, 0), during.NextOpening);
        Assert.Equal("Shelter reception is closed (closure day: 設備点検). It opens on Thu 2026-07-02 at 00:00.", during.MessageEn);
        Assert.Equal("避難者受付は休業中です(休業日: 設備点検)。次の開始は2026年7月2日(木) 0:00です。", during.MessageJa);

        var weekBefore = Assert.IsType<ServiceHoursStatus.Open>(shelter.Evaluate(At(2026, 6, 24, 9, 0), "shelter reception", "避難者受付"));
        Assert.Equal("Shelter reception is open until Wed 2026-07-01 at 00:00.", weekBefore.MessageEn);
        Assert.Equal("避難者受付は営業中です(2026年7月1日(水) 0:00まで)。", weekBefore.MessageJa);
    }

    [Fact]
    public void An_evening_interval_to_midnight_continues_into_the_next_mornings_interval()
    {
        var nightDesk = new ServiceSchedule(new Dictionary<DayOfWeek, IReadOnlyList<OpeningInterval>>
        {
            [DayOfWeek.Friday] = [OpeningInterval.UntilMidnight(new TimeOnly(18, 0))],
            [DayOfWeek.Saturday] = [I("00:00-02:00")],
        });

        var friday = Assert.IsType<ServiceHoursStatus.Open>(nightDesk.Evaluate(At(2026, 6, 19, 23, 0), "the night desk", "夜間窓口"));
        Assert.Equal(At(2026, 6, 20, 2, 0), friday.ClosesAt);
        Assert.Equal("The night desk is open until Sat 2026-06-20 at 02:00.", friday.MessageEn);
        Assert.True(nightDesk.IsOpenAt(At(2026, 6, 20, 0, 0)));
        Assert.False(nightDesk.IsOpenAt(At(2026, 6, 20, 2, 0)));
    }

    [Fact]
    public void Touching_intervals_make_one_opening()
    {
        var desk = new ServiceSchedule(new Dictionary<DayOfWeek, IReadOnlyList<OpeningInterval>>
        {
            [DayOfWeek.Monday] = [I("09:00-12:00"), I("12:00-13:00"), I("14:00-16:00")],
        });

        var open = Assert.IsType<ServiceHoursStatus.Open>(desk.Evaluate(At(2026, 6, 15, 10, 0), "the desk", "受付"));

        Assert.Equal(At(2026, 6, 15, 13, 0), open.ClosesAt);
        Assert.True(desk.IsOpenAt(At(2026, 6, 15, 12, 0)));
    }

    [Fact]
    public void A_service_without_any_hours_never_opens_and_says_so()
    {
        var none = new ServiceSchedule(new Dictionary<DayOfWeek, IReadOnlyList<OpeningInterval>>());

        var closed = Assert.IsType<ServiceHoursStatus.Closed>(none.Evaluate(At(2026, 6, 15, 10, 0), "the kiosk", "証明書自動交付機"));

        Assert.Null(closed.NextOpening);
        Assert.Equal("The kiosk is closed (no service on Mondays) and has no opening scheduled in the next 366 days.", closed.MessageEn);
        Assert.Equal("証明書自動交付機は休業中です(定休日)。今後366日以内に開始の予定はありません。", closed.MessageJa);
    }

    [Fact]
    public void Next_opening_is_the_instant_itself_while_open()
    {
        Assert.Equal(At(2026, 6, 16, 10, 0), Office.NextOpening(At(2026, 6, 16, 10, 0)));
        Assert.Equal(At(2026, 6, 19, 8, 30), Office.NextOpening(At(2026, 6, 18, 17, 15)));
    }

    [Fact]
    public void Messages_in_both_languages_state_the_next_opening_for_every_closed_hour_of_a_week()
    {
        var library = Library();
        for (var instant = At(2026, 10, 26, 0, 0); instant < At(2026, 11, 9, 0, 0); instant = instant.AddMinutes(30))
        {
            if (library.Evaluate(instant, "the library", "図書館") is ServiceHoursStatus.Closed closed)
            {
                var next = closed.NextOpening!.Value;
                Assert.True(next > instant);
                Assert.True(library.IsOpenAt(next));
                Assert.False(library.IsOpenAt(next.AddTicks(-1)));
                Assert.Contains(next.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + " at "
                    + next.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), closed.MessageEn, StringComparison.Ordinal);
                Assert.Contains($"{next.Year}年{next.Month}月{next.Day}日", closed.MessageJa, StringComparison.Ordinal);
                Assert.Contains(next.ToString("H:mm", System.Globalization.CultureInfo.InvariantCulture) + "です。", closed.MessageJa, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_holiday_closing_schedule_outside_the_holiday_calendar_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Office.Evaluate(At(2100, 1, 4, 10, 0), "the counter", "窓口"));
    }

    [Fact]
    public void Display_names_are_required()
    {
        Assert.Throws<ArgumentException>(() => Office.Evaluate(At(2026, 6, 16, 10, 0), " ", "窓口"));
        Assert.Throws<ArgumentException>(() => Office.Evaluate(At(2026, 6, 16, 10, 0), "the counter", ""));
    }
}
