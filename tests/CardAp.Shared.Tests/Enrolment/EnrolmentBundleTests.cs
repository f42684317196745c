using System.Text;
using System.Text.Json.Nodes;
using CardAp.Shared.Enrolment;

namespace CardAp.Shared.Tests.Enrolment;

public sealed class EnrolmentBundleTests
{
    private static readonly EnrolmentPayload Payload = new("131016", "131016-T001", "https://hub.example:5001",
        "-----BEGIN CERTIFICATE-----ca", "-----BEGIN CERTIFICATE-----leaf", "-----BEGIN PRIVATE KEY-----secret",
        new Dictionary<string, string> { ["Edge:Sync:Interval"] = "00:05:00" }, """{"rows":[]}""");

    [Fact]
    public void A_sealed_bundle_opens_with_its_code_typed_loosely_and_hides_the_key()
    {
        var code = EnrolmentCode.New();
        var file = EnrolmentBundle.Seal(Payload, code);

        var opened = EnrolmentBundle.Open(file, code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal).Replace('0', 'o').Replace('1', 'l'));

        Assert.Equal(Payload with { Settings = null }, opened with { Settings = null });
        Assert.Equal("00:05:00", opened.Settings!["Edge:Sync:Interval"]);
        Assert.Equal(("131016", "131016-T001"), EnrolmentBundle.Peek(file));
        Assert.DoesNotContain("secret", Encoding.UTF8.GetString(file), StringComparison.Ordinal);
        Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$", code);
    }

    [Fact]
    public void A_wrong_code_a_changed_byte_and_a_relabelled_header_are_all_refused()
    {
        var code = EnrolmentCode.New();
        var file = EnrolmentBundle.Seal(Payload, code);
        var envelope = JsonNode.Parse(file)!.AsObject();
        var cipher = Convert.FromBase64String((string)envelope["ciphertext"]!);
        cipher[cipher.Length / 2] ^= 1;
        var changed = envelope.DeepClone().AsObject();
        changed["ciphertext"] = Convert.ToBase64String(cipher);
        var relabelled = envelope.DeepClone().AsObject();
        relabelled["terminal"] = "131016-T002";

        Assert.Equal("WrongCodeOrChanged", Assert.Throws<EnrolmentBundleException>(() => EnrolmentBundle.Open(file, EnrolmentCode.New())).Reason);
        Assert.Equal("WrongCodeOrChanged", Assert.Throws<EnrolmentBundleException>(() => EnrolmentBundle.Open(Encoding.UTF8.GetBytes(changed.ToJsonString()), code)).Reason);
        Assert.Equal("WrongCodeOrChanged", Assert.Throws<EnrolmentBundleException>(() => EnrolmentBundle.Open(Encoding.UTF8.GetBytes(relabelled.ToJsonString()), code)).Reason);
        var notABundle = Assert.Throws<EnrolmentBundleException>(() => EnrolmentBundle.Open("{\"format\":\"zip\"}"u8, code));
        Assert.Equal("NotABundle", notABundle.Reason);
        Assert.Contains("登録パッケージ", notABundle.MessageJa, StringComparison.Ordinal);
    }
}
