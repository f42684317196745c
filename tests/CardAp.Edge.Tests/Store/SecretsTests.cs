using System.Text.Json.Nodes;
using CardAp.Edge.Store;

namespace CardAp.Edge.Tests.Store;

/// <summary>PINs are never stored: a JSON property that names one is refused, not scrubbed (ADR 0004).</summary>
public sealed class SecretsTests
{
    [Theory]
    [InlineData("pin")]
    [InlineData("PIN")]
    [InlineData("pinCode")]
    [InlineData("pin_code")]
    [InlineData("newPin")]
    [InlineData("operator-pin")]
    [InlineData("password")]
    [InlineData("passcode")]
    [InlineData("暗証番号")]
    public void A_pin_in_an_audit_detail_is_refused_and_nothing_is_written(string name)
    {
        using var store = new TempStore();

        var e = Assert.Throws<ArgumentException>(() => store.Records.RecordAudit(TempStore.Audit(detail: new JsonObject { ["reader"] = "R1", [name] = "1234" })));

        Assert.Contains($"audit.Detail.{name} looks like a PIN or password", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("1234", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public void A_pin_nested_in_a_payload_is_refused()
    {
        using var store = new TempStore();
        var payload = new JsonObject { ["members"] = new JsonArray(new JsonObject { ["name"] = "A", ["cardPin"] = "0000" }) };

        var e = Assert.Throws<ArgumentException>(() => store.Records.RecordTransaction(TempStore.Transaction("t", payload: payload), TempStore.Audit()));

        Assert.Contains("transaction.Payload.members[0].cardPin", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM transactions"));
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM audit_log"));
    }

    [Theory]
    [InlineData("pinRetriesLeft")]
    [InlineData("pinBlocked")]
    [InlineData("pinRequired")]
    [InlineData("shipping")]
    [InlineData("opinion")]
    public void Facts_about_a_pin_are_allowed(string name)
    {
        using var store = new TempStore();

        store.Records.RecordAudit(TempStore.Audit(outcome: "refused", detail: new JsonObject { [name] = 2 }));

        Assert.Equal(1, store.Scalar("SELECT count(*) FROM audit_log"));
    }
}
