using System.Text.Json.Nodes;
using CardAp.Edge.Services;
using CardAp.Edge.Services.Modules;
using CardAp.Shared.Services;

namespace CardAp.Edge.Tests.Modules;

public sealed class PointsModuleTests
{
    private static readonly PointsModule Points = new();

    [Fact]
    public void Accrue_and_redeem_move_the_balance()
    {
        using var h = new ModuleHarness();

        var accrued = h.Run(Points, "accrue", "P1", ("points", 300), ("reason", "health walk"));
        Assert.Equal("300", accrued.Result!["balance"]);
        var redeemed = h.Run(Points, "redeem", "P1", ("points", 120));
        Assert.Equal("180", redeemed.Result!["balance"]);

        var records = h.Records.Transactions("points", member: "P1");
        Assert.Equal([("accrue", 300L), ("redeem", 120L)], records.Select(r => (r.Operation, r.Amount!.Value)));
        Assert.Equal("health walk", records[0].ParsePayload()["reason"]!.GetValue<string>());
    }

    [Fact]
    public void Redeeming_more_than_the_balance_is_refused()
    {
        using var h = new ModuleHarness();
        h.Run(Points, "accrue", "P1", ("points", 100), ("reason", "volunteer"));

        var refusal = h.Refused("InsufficientPoints", Points, "redeem", "P1", ("points", 101));

        Assert.Contains("100", refusal.MessageEn, StringComparison.Ordinal);
        h.Refused("InsufficientPoints", Points, "redeem", "P2", ("points", 1));
        h.Run(Points, "redeem", "P1", ("points", 100));
    }

    [Fact]
    public void Offline_a_card_redeems_only_up_to_the_daily_limit_with_the_remainder_in_the_refusal()
    {
        using var h = new ModuleHarness { Online = false };
        h.Run(Points, "accrue", "P1", ("points", 5000), ("reason", "volunteer"));

        var first = h.Run(Points, "redeem", "P1", ("points", 300));
        Assert.Equal("200", first.Result!["offlineRemainingToday"]);
        var refusal = h.Refused("OfflineLimitReached", Points, "redeem", "P1", ("points", 250));
        Assert.Contains("200 remain", refusal.MessageEn, StringComparison.Ordinal);
        Assert.Contains("200 ポイント", refusal.MessageJa, StringComparison.Ordinal);
        h.Run(Points, "redeem", "P1", ("points", 200));
        h.Refused("OfflineLimitReached", Points, "redeem", "P1", ("points", 1));

        // Another card has its own limit; the next Japan day starts afresh.
        h.Run(Points, "accrue", "P2", ("points", 600), ("reason", "volunteer"));
        h.Run(Points, "redeem", "P2", ("points", 500));
        h.Now = new DateTimeOffset(2026, 6, 1, 15, 0, 0, TimeSpan.Zero); // 00:00 on 2 June in Japan
        h.Run(Points, "redeem", "P1", ("points", 500));
    }

    [Fact]
    public void Online_there_is_no_daily_limit_but_todays_redemptions_count_once_offline()
    {
        using var h = new ModuleHarness();
        h.Run(Points, "accrue", "P1", ("points", 5000), ("reason", "volunteer"));

        var online = h.Run(Points, "redeem", "P1", ("points", 2000));
        Assert.False(online.Result!.ContainsKey("offlineRemainingToday"));
        h.Run(Points, "redeem", "P1", ("points", 400));

        h.Online = false;
        h.Refused("OfflineLimitReached", Points, "redeem", "P1", ("points", 1));
    }

    [Fact]
    public void The_offline_limit_is_tunable_and_zero_stops_offline_redemption()
    {
        using var h = new ModuleHarness { Online = false };
        h.Run(Points, "accrue", "P1", ("points", 5000), ("reason", "volunteer"));
        h.Setting(Points, "offlineRedeemLimitPerDay", 1000);
        h.Run(Points, "redeem", "P1", ("points", 1000));

        h.Setting(Points, "offlineRedeemLimitPerDay", 0);
        h.Now = h.Now.AddDays(1);
        h.Refused("OfflineLimitReached", Points, "redeem", "P1", ("points", 1));
        Assert.NotNull(Points.Settings.Single(s => s.Name == "offlineRedeemLimitPerDay").Validate("-1"));
    }

    [Fact]
    public void The_synced_balance_includes_local_records_up_to_its_sequence_and_later_ones_are_added()
    {
        using var h = new ModuleHarness();
        h.Run(Points, "accrue", "P1", ("points", 100), ("reason", "volunteer"));
        h.Run(Points, "redeem", "P1", ("points", 30));
        // The hub has both (and 1000 points from elsewhere): 1070 includes local records through here.
        h.SetMaster(PointsModule.BalanceKind, "P1", new JsonObject { ["balance"] = 1070, ["includesLocalThroughSeq"] = h.Records.LastSeq("transactions") });

        var after = h.Run(Points, "accrue", "P1", ("points", 10), ("reason", "volunteer"));
        Assert.Equal("1080", after.Result!["balance"]);
        var redeemed = h.Run(Points, "redeem", "P1", ("points", 1080));
        Assert.Equal("0", redeemed.Result!["balance"]);
        h.Refused("InsufficientPoints", Points, "redeem", "P1", ("points", 1));
    }

    [Fact]
    public void A_synced_balance_alone_is_spendable_offline_within_the_limit()
    {
        using var h = new ModuleHarness { Online = false };
        h.SetMaster(PointsModule.BalanceKind, "P1", new JsonObject { ["balance"] = 400 });

        var redeemed = h.Run(Points, "redeem", "P1", ("points", 400));

        Assert.Equal("0", redeemed.Result!["balance"]);
        Assert.Equal("100", redeemed.Result["offlineRemainingToday"]);
    }

    [Fact]
    public void Accruals_above_the_maximum_balance_are_refused()
    {
        using var h = new ModuleHarness();
        h.Setting(Points, "maxBalance", 1000);
        h.Run(Points, "accrue", "P1", ("points", 900), ("reason", "volunteer"));

        var refusal = h.Refused("BalanceLimitReached", Points, "accrue", "P1", ("points", 101), ("reason", "volunteer"));

        Assert.Contains("100", refusal.MessageEn, StringComparison.Ordinal);
        h.Run(Points, "accrue", "P1", ("points", 100), ("reason", "volunteer"));
    }

    [Fact]
    public void Training_records_change_neither_the_balance_nor_the_offline_allowance()
    {
        using var h = new ModuleHarness();
        h.Run(Points, "accrue", "P1", ("points", 600), ("reason", "volunteer"));
        h.Training = true;
        h.Run(Points, "accrue", "P1", ("points", 5000), ("reason", "practice"));
        h.Online = false;
        h.Run(Points, "redeem", "P1", ("points", 500));

        h.Training = false;
        var redeemed = h.Run(Points, "redeem", "P1", ("points", 500));

        Assert.Equal("100", redeemed.Result!["balance"]);
        Assert.Equal(4, h.Records.Transactions("points", includeTraining: true).Count);
        Assert.Equal(500, h.Records.Sum("points", "redeem", "P1"));
    }

    [Fact]
    public void Declares_accrue_for_staff_and_redeem_with_PIN_at_the_counter_or_kiosk_limited_offline()
    {
        var accrue = Points.Operations.Single(o => o.Name == "accrue");
        var redeem = Points.Operations.Single(o => o.Name == "redeem");

        Assert.Equal(["counter-clerk", "health-staff"], accrue.Roles);
        Assert.False(accrue.KioskAllowed);
        Assert.Equal(OfflinePolicy.Allowed, accrue.OfflineDefault);
        Assert.Equal(["points", "reason"], accrue.FieldList.Select(f => f.Name));
        Assert.Equal(["counter-clerk"], redeem.Roles);
        Assert.True(redeem.KioskAllowed);
        Assert.True(redeem.PinRequired);
        Assert.Equal(OfflinePolicy.Limited, redeem.OfflineDefault);
        var points = Assert.Single(redeem.FieldList);
        Assert.Equal((FieldType.Integer, 1L, 100_000L), (points.Type, points.Min, points.Max));
        Assert.Equal("500", Points.Settings.Single(s => s.Name == "offlineRedeemLimitPerDay").Default);
    }
}
