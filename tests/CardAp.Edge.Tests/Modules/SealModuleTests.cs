using System.Text.Json.Nodes;
using CardAp.Edge.Services;
using CardAp.Edge.Services.Modules;
using CardAp.Shared.Services;

namespace CardAp.Edge.Tests.Modules;

public sealed class SealModuleTests
{
    private static readonly SealModule Seal = new();

    private static void Registration(ModuleHarness h, string member, string status) =>
        h.SetMaster(SealModule.RegistrationKind, member, new JsonObject { ["status"] = status, ["registeredOn"] = "2019-04-01" });

    [Fact]
    public void A_registered_seal_gets_the_certificate_request_recorded_with_copies_and_fee()
    {
        using var h = new ModuleHarness();
        Registration(h, "K1", "registered");

        var outcome = h.Run(Seal, "request-certificate", "K1", ("copies", 2));

        Assert.Equal("2", outcome.Result!["copies"]);
        Assert.Equal("600", outcome.Result["fee"]);
        Assert.Equal("2019-04-01", outcome.Result["registeredOn"]);
        var stored = Assert.Single(h.Records.Transactions("seal", member: "K1"));
        Assert.Equal(("request-certificate", 2L), (stored.Operation, stored.Amount!.Value));
    }

    [Fact]
    public void The_fee_per_copy_is_tunable()
    {
        using var h = new ModuleHarness();
        Registration(h, "K1", "registered");
        h.Setting(Seal, "feePerCopy", 200);

        var outcome = h.Run(Seal, "request-certificate", "K1", ("copies", 3));

        Assert.Equal("600", outcome.Result!["fee"]);
    }

    [Fact]
    public void Without_a_registration_the_request_is_refused()
    {
        using var h = new ModuleHarness();

        h.Refused("SealNotRegistered", Seal, "request-certificate", "K1", ("copies", 1));
        Assert.Empty(h.Records.Transactions("seal"));
    }

    [Theory]
    [InlineData("abolished", "SealRegistrationAbolished")]
    [InlineData("suspended", "SealRegistrationSuspended")]
    [InlineData("pending", "SealNotRegistered")]
    public void An_abolished_suspended_or_unknown_registration_is_refused(string status, string reason)
    {
        using var h = new ModuleHarness();
        Registration(h, "K1", status);

        h.Refused(reason, Seal, "request-certificate", "K1", ("copies", 1));
    }

    [Fact]
    public void Master_data_of_the_wrong_shape_is_refused_with_a_message_for_the_administrator()
    {
        using var h = new ModuleHarness();
        h.SetMasterJson(SealModule.RegistrationKind, "K1", """{"status":{"code":1}}""");

        var refusal = h.Refused("MasterDataInvalid", Seal, "request-certificate", "K1", ("copies", 1));

        Assert.Contains("sealRegistration/K1", refusal.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void Declares_a_PIN_protected_online_only_request_at_the_counter_or_kiosk()
    {
        var operation = Assert.Single(Seal.Operations);

        Assert.Equal("request-certificate", operation.Name);
        Assert.Equal(["counter-clerk"], operation.Roles);
        Assert.True(operation.PinRequired);
        Assert.True(operation.KioskAllowed);
        Assert.True(operation.NeedsMembership);
        Assert.Equal(OfflinePolicy.OnlineOnly, operation.OfflineDefault);
        var copies = Assert.Single(operation.FieldList);
        Assert.Equal(("copies", FieldType.Integer, 1L, 10L), (copies.Name, copies.Type, copies.Min, copies.Max));
    }
}
