using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Jpki;

namespace CardAp.Pcsc.Tests;

/// <summary>
/// The virtual JPKI card through the real stack: pcscd, vpcd, and OpenSC's own JPKI driver and
/// PKCS#15 emulation. If OpenSC takes our card for a My Number card and reads the same
/// certificate the test CA issued, the card answers as a real one does.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed partial class OpenScTests(PcscdFixture pcscd, OpenScCardFixture fixture) : IClassFixture<OpenScCardFixture>
{
    private const int Slot = 0;
    private static readonly string Reader = PcscdFixture.ReaderName(Slot);

    [Fact]
    public async Task Opensc_tool_names_the_card_jpki()
    {
        Require("opensc-tool");
        var issued = fixture.Authority.IssueCard(withSigningCertificate: false);
        var result = await WithCardAsync(new VirtualSmartCard(issued.Applet), () => RunAsync("opensc-tool", "-r", Reader, "-n"));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("jpki", result.Output.Trim());
    }

    [Fact]
    public async Task Pkcs15_tool_lists_the_authentication_certificate_and_its_ca()
    {
        Require("pkcs15-tool");
        var issued = fixture.Authority.IssueCard();
        var result = await WithCardAsync(new VirtualSmartCard(issued.Applet), () => RunAsync("pkcs15-tool", "-r", Reader, "--list-certificates"));
        Assert.True(result.ExitCode == 0, result.ToString());

        var certificates = CertificateBlock().Matches(result.Output).ToDictionary(m => m.Groups["label"].Value, m => m.Value);
        Assert.Contains("User Authentication Certificate", certificates.Keys);
        Assert.Contains("User Authentication Certificate CA", certificates.Keys);
        Assert.Contains("Digital Signature Certificate", certificates.Keys);
        var authentication = certificates["User Authentication Certificate"];
        Assert.Contains("Path           : 000a", authentication, StringComparison.Ordinal);
        Assert.Contains("ID             : 01", authentication, StringComparison.Ordinal);
        // OpenSC read the certificate to show its serial: the one the test CA issued.
        Assert.Contains(issued.SerialNumber, authentication.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Pkcs15_tool_reads_the_certificate_the_test_ca_issued()
    {
        Require("pkcs15-tool");
        var issued = fixture.Authority.IssueCard(withSigningCertificate: false);
        var result = await WithCardAsync(new VirtualSmartCard(issued.Applet), () => RunAsync("pkcs15-tool", "-r", Reader, "--read-certificate", "01"));
        Assert.True(result.ExitCode == 0, result.ToString());

        using var read = X509Certificate2.CreateFromPem(result.Output);
        Assert.Equal(issued.AuthenticationCertificate.RawData, read.RawData);
        Assert.Equal(issued.SerialNumber, read.SerialNumber);
    }

    [Fact]
    public async Task Pkcs15_tool_reports_the_pin_counters_the_card_holds()
    {
        Require("pkcs15-tool");
        var issued = fixture.Authority.IssueCard(withSigningCertificate: false);
        var card = new VirtualSmartCard(issued.Applet);
        // One wrong authentication PIN before the card goes into the reader.
        card.Process(Convert.FromHexString("00A4040C0AD392F000260100000001"));
        card.Process(Convert.FromHexString("00A4020C020018"));
        Assert.Equal("63C2", Convert.ToHexString(card.Process(Convert.FromHexString("002000800430303030"))));

        var result = await WithCardAsync(card, () => RunAsync("pkcs15-tool", "-r", Reader, "--list-pins"));
        Assert.True(result.ExitCode == 0, result.ToString());
        var pins = PinBlock().Matches(result.Output).ToDictionary(m => m.Groups["label"].Value, m => int.Parse(m.Groups["tries"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, pins["User Authentication PIN"]);
        Assert.Equal(5, pins["Digital Signature PIN"]);
    }

    [Fact]
    public async Task Pkcs11_signature_through_opensc_verifies_with_the_certificate_and_needs_the_pin()
    {
        Require("pkcs11-tool");
        var module = OpenScTool.Pkcs11Module;
        if (module is null)
        {
            Require("opensc-pkcs11.so");
        }
        var issued = fixture.Authority.IssueCard(withSigningCertificate: false);
        var directory = Directory.CreateTempSubdirectory("cardap-opensc-");
        try
        {
            var input = Path.Combine(directory.FullName, "data");
            var output = Path.Combine(directory.FullName, "signature");
            await File.WriteAllTextAsync(input, "sign me through OpenSC", TestContext.Current.CancellationToken);
            string[] Sign(string pin) =>
            [
                "--module", module!, "--token-label", "JPKI (User Authentication PIN)", "--login", "--pin", pin,
                "--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", "01", "-i", input, "-o", output,
            ];

            var (wrong, right) = await WithCardAsync(new VirtualSmartCard(issued.Applet), async () =>
                (await RunAsync("pkcs11-tool", Sign("9999")), await RunAsync("pkcs11-tool", Sign("1234"))));

            Assert.NotEqual(0, wrong.ExitCode);
            Assert.Contains("CKR_PIN_INCORRECT", wrong.Output + wrong.Error, StringComparison.Ordinal);
            Assert.True(right.ExitCode == 0, right.ToString());
            using var publicKey = issued.AuthenticationCertificate.GetRSAPublicKey()!;
            var signature = await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken);
            Assert.True(publicKey.VerifyData(await File.ReadAllBytesAsync(input, TestContext.Current.CancellationToken), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            // The wrong try cost one, the right one restored the counter.
            Assert.Equal(3, issued.Applet.AuthenticationPinTriesLeft);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private void Require(string tool)
    {
        pcscd.RequirePcscd();
        OpenScTool.Require(tool);
    }

    private static Task<OpenScTool.Result> RunAsync(string tool, params string[] arguments) =>
        OpenScTool.RunAsync(tool, arguments, TestContext.Current.CancellationToken);

    private async Task<T> WithCardAsync<T>(ISmartCard card, Func<Task<T>> action)
    {
        var cancel = TestContext.Current.CancellationToken;
        var bridge = await pcscd.InsertCardAsync(card, Slot, cancel);
        try
        {
            return await action();
        }
        finally
        {
            await pcscd.RemoveCardAsync(bridge, Slot, cancel);
            await bridge.DisposeAsync();
        }
    }

    /// <summary>One "X.509 Certificate [label]" block of pkcs15-tool's listing, up to the blank line.</summary>
    [GeneratedRegex(@"X\.509 Certificate \[(?<label>[^\]]+)\](?:\n\t[^\n]*)*")]
    private static partial Regex CertificateBlock();

    [GeneratedRegex(@"PIN \[(?<label>[^\]]+)\](?:\n\t[^\n]*)*?\n\tTries left\s*:\s*(?<tries>\d+)")]
    private static partial Regex PinBlock();
}
