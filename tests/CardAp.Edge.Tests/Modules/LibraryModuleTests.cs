using System.Text.Json.Nodes;
using CardAp.Edge.Services.Modules;
using CardAp.Shared.Services;

namespace CardAp.Edge.Tests.Modules;

public sealed class LibraryModuleTests
{
    private static readonly LibraryModule Library = new();

    [Fact]
    public void Checkout_records_the_book_and_returns_the_due_date_a_loan_period_away()
    {
        using var h = new ModuleHarness();

        var outcome = h.Run(Library, "checkout", "L1", ("item", "B1"));

        Assert.Equal("2026-06-15", outcome.Result!["dueOn"]);
        Assert.Equal("1", outcome.Result["loans"]);
        Assert.Equal("B1", outcome.Item);
        var stored = Assert.Single(h.Records.Transactions("library"));
        Assert.Equal(("checkout", "L1", "B1"), (stored.Operation, stored.Member, stored.Item));
        Assert.Equal("2026-06-15", stored.ParsePayload()["dueOn"]!.GetValue<string>());
    }

    [Fact]
    public void The_loan_period_comes_from_tuning_and_the_due_date_is_a_Japan_day()
    {
        using var h = new ModuleHarness { Now = new DateTimeOffset(2026, 6, 1, 16, 0, 0, TimeSpan.Zero) }; // 01:00 on 2 June in Japan
        h.Setting(Library, "loanPeriodDays", 7);

        var outcome = h.Run(Library, "checkout", "L1", ("item", "B1"));

        Assert.Equal("2026-06-09", outcome.Result!["dueOn"]);
    }

    [Fact]
    public void The_loan_limit_refuses_one_book_too_many_until_one_is_returned()
    {
        using var h = new ModuleHarness();
        h.Setting(Library, "loanLimit", 2);
        h.Run(Library, "checkout", "L1", ("item", "B1"));
        h.Run(Library, "checkout", "L1", ("item", "B2"));

        var refusal = h.Refused("LoanLimitReached", Library, "checkout", "L1", ("item", "B3"));
        Assert.Contains("2", refusal.MessageEn, StringComparison.Ordinal);

        h.Run(Library, "return", "L1", ("item", "B1"));
        h.Run(Library, "checkout", "L1", ("item", "B3"));
        Assert.Equal(4, h.Records.Transactions("library").Count);
    }

    [Fact]
    public void A_book_already_on_loan_is_refused_to_the_same_and_to_another_member()
    {
        using var h = new ModuleHarness();
        h.Run(Library, "checkout", "L1", ("item", "B1"));

        h.Refused("AlreadyOnLoan", Library, "checkout", "L1", ("item", "B1"));
        h.Card = "C0002";
        var other = h.Refused("AlreadyOnLoan", Library, "checkout", "L2", ("item", "B1"));
        Assert.Contains("another user", other.MessageEn, StringComparison.Ordinal);

        h.Card = "C0001";
        h.Run(Library, "return", "L1", ("item", "B1"));
        h.Card = "C0002";
        h.Run(Library, "checkout", "L2", ("item", "B1"));
    }

    [Fact]
    public void Returning_or_renewing_a_book_not_on_loan_to_this_member_is_refused()
    {
        using var h = new ModuleHarness();
        h.Run(Library, "checkout", "L1", ("item", "B1"));

        h.Refused("NotOnLoan", Library, "return", "L1", ("item", "B9"));
        h.Refused("NotOnLoan", Library, "renew", "L1", ("item", "B9"));
        h.Card = "C0002";
        h.Refused("NotOnLoan", Library, "return", "L2", ("item", "B1"));
        h.Refused("NotOnLoan", Library, "renew", "L2", ("item", "B1"));

        h.Card = "C0001";
        h.Run(Library, "return", "L1", ("item", "B1"));
        h.Refused("NotOnLoan", Library, "return", "L1", ("item", "B1"));
    }

    [Fact]
    public void Renewal_runs_from_the_day_of_renewal_up_to_the_renewal_limit()
    {
        using var h = new ModuleHarness();
        h.Run(Library, "checkout", "L1", ("item", "B1"));
        h.Now = h.Now.AddDays(10);

        var renewed = h.Run(Library, "renew", "L1", ("item", "B1"));
        Assert.Equal("2026-06-25", renewed.Result!["dueOn"]);
        Assert.Equal("1", renewed.Result["renewals"]);

        h.Refused("RenewalLimitReached", Library, "renew", "L1", ("item", "B1"));

        h.Setting(Library, "renewalLimit", 2);
        var again = h.Run(Library, "renew", "L1", ("item", "B1"));
        Assert.Equal("2", again.Result!["renewals"]);
        h.Refused("RenewalLimitReached", Library, "renew", "L1", ("item", "B1"));
    }

    [Fact]
    public void A_renewal_never_shortens_the_current_loan()
    {
        using var h = new ModuleHarness();
        h.Setting(Library, "loanPeriodDays", 30);
        h.Run(Library, "checkout", "L1", ("item", "B1"));
        h.Setting(Library, "loanPeriodDays", 7);

        var renewed = h.Run(Library, "renew", "L1", ("item", "B1"));

        Assert.Equal("2026-07-01", renewed.Result!["dueOn"]);
    }

    [Fact]
    public void A_late_return_says_how_late()
    {
        using var h = new ModuleHarness();
        h.Run(Library, "checkout", "L1", ("item", "B1"));
        h.Now = h.Now.AddDays(17);

        var returned = h.Run(Library, "return", "L1", ("item", "B1"));

        Assert.Equal("3", returned.Result!["overdueDays"]);
        Assert.Equal("0", returned.Result["loans"]);
    }

    [Fact]
    public void Synced_loans_count_offline_against_the_limit_and_can_be_returned_and_renewed_here()
    {
        using var h = new ModuleHarness { Online = false };
        h.Setting(Library, "loanLimit", 3);
        h.SetMaster(LibraryModule.LoanSummaryKind, "L1", new JsonObject
        {
            ["openItems"] = new JsonArray(
                new JsonObject { ["item"] = "S1", ["dueOn"] = "2026-06-05", ["renewals"] = 0 },
                new JsonObject { ["item"] = "S2", ["dueOn"] = "2026-06-08", ["renewals"] = 1 }),
            ["asOf"] = "2026-05-31T23:00:00+09:00",
        });

        var checkout = h.Run(Library, "checkout", "L1", ("item", "B1"));
        Assert.Equal("3", checkout.Result!["loans"]);
        h.Refused("LoanLimitReached", Library, "checkout", "L1", ("item", "B2"));
        h.Refused("AlreadyOnLoan", Library, "checkout", "L1", ("item", "S1"));
        h.Refused("RenewalLimitReached", Library, "renew", "L1", ("item", "S2"));

        var renewed = h.Run(Library, "renew", "L1", ("item", "S1"));
        Assert.Equal("2026-06-15", renewed.Result!["dueOn"]);
        h.Run(Library, "return", "L1", ("item", "S2"));
        h.Run(Library, "checkout", "L1", ("item", "B2"));
        h.Refused("RenewalLimitReached", Library, "renew", "L1", ("item", "S1"));
    }

    [Fact]
    public void Local_records_the_summary_already_includes_are_not_counted_twice()
    {
        using var h = new ModuleHarness();
        h.Setting(Library, "loanLimit", 2);
        h.Run(Library, "checkout", "L1", ("item", "B1"));
        h.Run(Library, "checkout", "L1", ("item", "B2"));
        var last = h.Records.LastSeq("transactions");

        // The hub has both checkouts; B1 has since been returned at another library.
        h.SetMaster(LibraryModule.LoanSummaryKind, "L1", new JsonObject
        {
            ["openItems"] = new JsonArray(new JsonObject { ["item"] = "B2", ["dueOn"] = "2026-06-15" }),
            ["includesLocalThroughSeq"] = last,
        });

        var checkout = h.Run(Library, "checkout", "L1", ("item", "B3"));
        Assert.Equal("2", checkout.Result!["loans"]);
        h.Refused("LoanLimitReached", Library, "checkout", "L1", ("item", "B4"));
        h.Refused("NotOnLoan", Library, "return", "L1", ("item", "B1"));

        // B1 is free for another member, although the last local record of it is a checkout.
        h.Card = "C0002";
        h.Run(Library, "checkout", "L2", ("item", "B1"));
    }

    [Fact]
    public void Without_a_sequence_the_summary_covers_local_records_up_to_its_time()
    {
        using var h = new ModuleHarness();
        h.Run(Library, "checkout", "L1", ("item", "B1"));
        h.SetMaster(LibraryModule.LoanSummaryKind, "L1", new JsonObject
        {
            ["openItems"] = new JsonArray(),
            ["asOf"] = h.Now.AddMinutes(5).ToString("O"),
        });
        h.Now = h.Now.AddMinutes(10);
        h.Run(Library, "checkout", "L1", ("item", "B2"));

        var loans = LibraryModule.OpenLoans(h.Context(Library, "checkout", "L1", ("item", "B3")), "L1");

        Assert.Equal(["B2"], loans.Keys);
    }

    [Fact]
    public void Training_loans_do_not_count()
    {
        using var h = new ModuleHarness { Training = true };
        h.Setting(Library, "loanLimit", 1);
        h.Run(Library, "checkout", "L1", ("item", "B1"));
        Assert.True(Assert.Single(h.Records.Transactions("library", includeTraining: true)).Training);

        h.Training = false;
        var real = h.Run(Library, "checkout", "L1", ("item", "B1"));
        Assert.Equal("1", real.Result!["loans"]);
        h.Refused("LoanLimitReached", Library, "checkout", "L1", ("item", "B2"));
    }

    [Fact]
    public void Declares_its_operations_roles_and_settings()
    {
        Assert.Equal("library", Library.Id);
        Assert.Equal("図書館", Library.NameJa);
        Assert.Equal(["checkout", "return", "renew"], Library.Operations.Select(o => o.Name));
        Assert.All(Library.Operations, o =>
        {
            Assert.Equal(["librarian", "counter-clerk"], o.Roles);
            Assert.False(o.PinRequired);
            Assert.True(o.KioskAllowed);
            Assert.True(o.NeedsMembership);
            Assert.Equal(OfflinePolicy.Allowed, o.OfflineDefault);
            Assert.Equal("item", Assert.Single(o.FieldList).Name);
        });
        Assert.Equal(["loanLimit=10", "loanPeriodDays=14", "renewalLimit=1"], Library.Settings.Select(s => $"{s.Name}={s.Default}"));
        Assert.NotNull(Library.Settings[0].Validate("0"));
        Assert.NotNull(Library.Settings[1].Validate("two weeks"));
    }
}
