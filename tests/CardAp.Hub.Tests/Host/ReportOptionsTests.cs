using CardAp.Hub.Extensions;
using CardAp.Hub.Options;

namespace CardAp.Hub.Tests.Host;

public sealed class ReportOptionsTests
{
    [Fact]
    public void The_defaults_pass_and_every_bad_setting_is_named()
    {
        Assert.True(new RetentionOptionsValidator().Validate(null, new RetentionOptions()).Succeeded);
        Assert.True(new FleetOptionsValidator().Validate(null, new FleetOptions()).Succeeded);

        var retention = new RetentionOptionsValidator().Validate(null, new RetentionOptions { RecordDays = 3, TombstoneDays = 1, DailyAt = "25:00" });
        Assert.Equal(3, retention.Failures!.Count());
        Assert.All(retention.Failures!, f => Assert.StartsWith("Hub:Retention:", f, StringComparison.Ordinal));

        var fleet = new FleetOptionsValidator().Validate(null, new FleetOptions { StaleAfter = TimeSpan.Zero, ClockSkewAlarm = TimeSpan.FromSeconds(-1) });
        Assert.Equal(2, fleet.Failures!.Count());
    }

    [Theory]
    [InlineData("2026-11-26T18:00:00Z", "2026-11-27T03:30:00+09:00")] // 03:00 JST: today's run is still ahead
    [InlineData("2026-11-26T17:00:00Z", "2026-11-27T03:30:00+09:00")] // 02:00 JST the next calendar day in Japan
    [InlineData("2026-11-26T18:30:00Z", "2026-11-28T03:30:00+09:00")] // 03:30 JST exactly: the next night
    [InlineData("2026-11-26T19:00:00Z", "2026-11-28T03:30:00+09:00")]
    public void Retention_runs_at_the_next_japan_time_of_day(string now, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            RetentionService.NextRun(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), new TimeOnly(3, 30)));
}
