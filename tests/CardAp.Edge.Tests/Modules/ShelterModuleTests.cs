using System.Text.Json.Nodes;
using CardAp.Edge.Services;
using CardAp.Edge.Services.Modules;
using CardAp.Shared.Services;

namespace CardAp.Edge.Tests.Modules;

public sealed class ShelterModuleTests
{
    private static readonly ShelterModule Shelter = new();

    private static ModuleHarness WithShelter(long capacity = 100)
    {
        var h = new ModuleHarness();
        h.SetMaster(ShelterModule.ShelterKind, "S01", new JsonObject { ["capacity"] = capacity, ["nameJa"] = "第一小学校体育館", ["nameEn"] = "Daiichi Elementary School gym" });
        h.SetMaster(ShelterModule.ShelterKind, "S02", new JsonObject { ["capacity"] = 50 });
        return h;
    }

    [Fact]
    public void Checkin_counts_the_resident_and_household_against_capacity_from_master_data()
    {
        using var h = WithShelter(capacity: 120);

        var outcome = h.Run(Shelter, "checkin", null, ("shelter", "S01"), ("household", 2));

        Assert.Equal("3", outcome.Result!["persons"]);
        Assert.Equal("3", outcome.Result["occupancy"]);
        Assert.Equal("120", outcome.Result["capacity"]);
        Assert.Contains("第一小学校体育館", outcome.MessageJa, StringComparison.Ordinal);
        var stored = Assert.Single(h.Records.Transactions("shelter"));
        Assert.Equal(("S01", 3L, "C0001", (string?)null), (stored.Item, stored.Amount!.Value, stored.CardRef, stored.Member));
    }

    [Fact]
    public void Without_a_household_count_only_the_card_holder_is_counted()
    {
        using var h = WithShelter();

        var outcome = h.Run(Shelter, "checkin", null, ("shelter", "S01"));
        h.Card = "C0002";
        // The request validator lets an empty optional field through: it counts as absent.
        var empty = h.Run(Shelter, "checkin", null, ("shelter", "S01"), ("household", ""));

        Assert.Equal("1", outcome.Result!["occupancy"]);
        Assert.Equal("1", empty.Result!["persons"]);
    }

    [Fact]
    public void An_unknown_shelter_is_refused()
    {
        using var h = WithShelter();

        h.Refused("UnknownShelter", Shelter, "checkin", null, ("shelter", "S99"));
        h.Refused("UnknownShelter", Shelter, "checkout", null, ("shelter", "S99"));
    }

    [Fact]
    public void A_full_shelter_refuses_a_party_that_does_not_fit_and_says_how_full_it_is()
    {
        using var h = WithShelter(capacity: 5);
        h.Run(Shelter, "checkin", null, ("shelter", "S01"), ("household", 2));

        h.Card = "C0002";
        var refusal = h.Refused("ShelterFull", Shelter, "checkin", null, ("shelter", "S01"), ("household", 2));
        Assert.Contains("3 of 5", refusal.MessageEn, StringComparison.Ordinal);
        Assert.Contains("定員 5 人", refusal.MessageJa, StringComparison.Ordinal);

        var fits = h.Run(Shelter, "checkin", null, ("shelter", "S01"), ("household", 1));
        Assert.Equal("5", fits.Result!["occupancy"]);
        h.Card = "C0003";
        h.Refused("ShelterFull", Shelter, "checkin", null, ("shelter", "S01"));
        // Another shelter has its own capacity.
        h.Run(Shelter, "checkin", null, ("shelter", "S02"));
    }

    [Fact]
    public void A_resident_checked_in_anywhere_here_cannot_check_in_again()
    {
        using var h = WithShelter();
        h.Run(Shelter, "checkin", null, ("shelter", "S01"));

        h.Refused("AlreadyCheckedIn", Shelter, "checkin", null, ("shelter", "S01"));
        var elsewhere = h.Refused("AlreadyCheckedIn", Shelter, "checkin", null, ("shelter", "S02"));
        Assert.Contains("S01", elsewhere.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkout_removes_the_whole_party_and_frees_the_places()
    {
        using var h = WithShelter(capacity: 4);
        h.Run(Shelter, "checkin", null, ("shelter", "S01"), ("household", 3));
        h.Card = "C0002";
        h.Refused("ShelterFull", Shelter, "checkin", null, ("shelter", "S01"));

        h.Card = "C0001";
        var outcome = h.Run(Shelter, "checkout", null, ("shelter", "S01"));
        Assert.Equal("4", outcome.Result!["persons"]);
        Assert.Equal("0", outcome.Result["occupancy"]);
        Assert.Equal(4, h.Records.Transactions("shelter", item: "S01")[^1].Amount);

        h.Card = "C0002";
        h.Run(Shelter, "checkin", null, ("shelter", "S01"));
        h.Card = "C0001";
        var back = h.Run(Shelter, "checkin", null, ("shelter", "S01"), ("household", 1));
        Assert.Equal("3", back.Result!["occupancy"]);
    }

    [Fact]
    public void Checkout_of_a_resident_not_checked_in_there_is_refused()
    {
        using var h = WithShelter();

        h.Refused("NotCheckedIn", Shelter, "checkout", null, ("shelter", "S01"));
        h.Run(Shelter, "checkin", null, ("shelter", "S01"));
        h.Refused("NotCheckedIn", Shelter, "checkout", null, ("shelter", "S02"));
        h.Run(Shelter, "checkout", null, ("shelter", "S01"));
        h.Refused("NotCheckedIn", Shelter, "checkout", null, ("shelter", "S01"));
    }

    [Fact]
    public void Works_offline_for_any_identified_resident()
    {
        using var h = WithShelter();
        h.Online = false;

        h.Run(Shelter, "checkin", null, ("shelter", "S01"));

        Assert.All(Shelter.Operations, o =>
        {
            Assert.Equal(OfflinePolicy.Allowed, o.OfflineDefault);
            Assert.False(o.NeedsMembership);
            Assert.Equal(["shelter-staff", "site-admin"], o.Roles);
        });
        var household = Assert.Single(Shelter.Operations[0].FieldList, f => f.Name == "household");
        Assert.Equal((FieldType.Integer, false, 0L, 20L), (household.Type, household.Required, household.Min, household.Max));
    }

    [Fact]
    public void Training_checkins_are_not_occupancy()
    {
        using var h = WithShelter(capacity: 2);
        h.Training = true;
        h.Run(Shelter, "checkin", null, ("shelter", "S01"), ("household", 1));
        // The training resident is not "checked in" for real either.
        h.Training = false;

        var real = h.Run(Shelter, "checkin", null, ("shelter", "S01"), ("household", 1));

        Assert.Equal("2", real.Result!["occupancy"]);
        Assert.Equal(2, ShelterModule.Occupancy(h.Records, "S01"));
    }
}
