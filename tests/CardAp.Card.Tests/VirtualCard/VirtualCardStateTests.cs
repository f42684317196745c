using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Tests.VirtualCard.Support;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Jpki;
using CardAp.VirtualCard.State;
using static CardAp.Card.Tests.VirtualCard.Support.ResponseAssert;

namespace CardAp.Card.Tests.VirtualCard;

/// <summary>Saving a card to JSON and loading it: it must behave as the saved card did.</summary>
public sealed class VirtualCardStateTests : IDisposable
{
    private readonly TestKeys _keys;
    private readonly string _directory = Directory.CreateTempSubdirectory("cardap-vcard-").FullName;

    public VirtualCardStateTests(TestKeys keys) => _keys = keys;

    private string PathOf(string name) => Path.Combine(_directory, name);

    [Fact]
    public void A_loaded_card_keeps_files_keys_issuer_and_pin_counters()
    {
        var issued = _keys.IssueJpki();
        using var original = new CardApCard(issued.Applet);
        original.Select();
        var header = CardApCard.Header();
        Success(original.Authenticate());
        Success(original.Terminal.Send(new CommandApdu(0, Ins.UpdateBinary, 0x81, 0, header)));
        var point = original.Applet.GenerateCardKey();
        Status(0x63C2, original.Terminal.Raw("002000810430303030"));
        Success(original.Terminal.Send("00A4040C0AD392F000260100000001"));
        Success(original.Terminal.Send("00A4020C020018"));
        Status(0x63C2, original.Terminal.Raw("002000800430303030"));

        var path = PathOf("card.json");
        original.Card.Save(path);
        var loaded = VirtualSmartCard.Load(path);
        using var terminal = new Terminal(loaded);

        // CardAp: files, PIN counter, issuer key, card key.
        Success(terminal.Send(CardApCard.SelectCardAp));
        Assert.Equal(header, Success(terminal.Send("00B0810000")));
        Status(0x63C2, terminal.Raw("00200081"));
        Status(0x63C1, terminal.Raw("002000810430303030"));
        var challenge = Success(terminal.Send("0084000010"));
        Success(terminal.Send(CardApCard.ExternalAuthenticate(challenge, original.IssuerKey)));
        var terminalChallenge = RandomNumberGenerator.GetBytes(16);
        var signature = Success(terminal.Send(new CommandApdu(0, Ins.InternalAuthenticate, 0, 0, terminalChallenge, 256)));
        using var cardKey = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33], Y = point[33..] } });
        Assert.True(cardKey.VerifyData(CardApSpec.InternalAuthMessage(terminalChallenge, false, header, []), signature, HashAlgorithmName.SHA256));

        // JPKI: certificate, PIN counter, signing key.
        var jpki = loaded.GetApplet<JpkiApplet>();
        Assert.Equal(issued.AuthenticationCertificate.RawData, jpki.Authentication.Certificate);
        Assert.Equal(2, jpki.AuthenticationPinTriesLeft);
        Success(terminal.Send("00A4040C0AD392F000260100000001"));
        Success(terminal.Send("00A4020C020018"));
        Status(0x63C2, terminal.Raw("00200080"));
        Success(terminal.Send("002000800431323334"));
        Success(terminal.Send("00A4020C020017"));
        var digest = SHA256.HashData("after load"u8);
        var jpkiSignature = Success(terminal.Send("802A008033" + "3031300D060960864801650304020105000420" + Convert.ToHexString(digest) + "00"));
        using var publicKey = issued.AuthenticationCertificate.GetRSAPublicKey()!;
        Assert.True(publicKey.VerifyHash(digest, jpkiSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void A_blocked_pin_stays_blocked_across_save_and_load()
    {
        using var card = new CardApCard();
        card.Select();
        for (var i = 0; i < 3; i++)
        {
            card.Terminal.Raw("002000810430303030");
        }
        var path = PathOf("blocked.json");
        card.Card.Save(path);
        using var terminal = new Terminal(VirtualSmartCard.Load(path));
        Success(terminal.Send(CardApCard.SelectCardAp));
        Status(0x6984, terminal.Raw("0020008104" + "34373131"));
    }

    [Fact]
    public void The_file_is_versioned_json_readable_by_the_owner_only()
    {
        using var card = new CardApCard();
        var path = PathOf("owner.json");
        card.Card.Save(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(VirtualCardState.FormatName, (string?)json["format"]);
        Assert.Equal(1, (int?)json["version"]);
        Assert.Equal("3BE000FF8131FE4514", (string?)json["atr"]);
        Assert.Equal("cardap", (string?)json["applets"]![0]!["type"]);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        // Saving again replaces the file and leaves no temporary behind.
        card.Card.Save(path);
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("[1, 2, 3]", "not a virtual card state file")]
    [InlineData("{\"name\": \"some other tool's config\"}", "not a virtual card state file")]
    [InlineData("{\"format\": \"cardap-virtual-card\"}", "no numeric \"version\"")]
    [InlineData("{\"format\": \"cardap-virtual-card\", \"version\": 2, \"atr\": \"3B00\", \"applets\": []}", "version 2; this build reads version 1")]
    [InlineData("{\"format\": \"cardap-virtual-card\", \"version\": 1, \"applets\": []}", "corrupt")]
    [InlineData("{\"format\": \"cardap-virtual-card\", \"version\": 1, \"atr\": \"3B00\", \"applets\": [{\"type\": \"tachograph\"}]}", "corrupt")]
    [InlineData("{\"format\": \"cardap-virtual-card\", \"version\": 1, \"atr\": \"3B00\", \"applets\": [], \"extra\": 1}", "corrupt")]
    [InlineData("{\"format\": \"cardap-virtual-card\", \"version\": 1, \"atr\": \"zz\", \"applets\": []}", "not hex")]
    public void Corrupt_or_foreign_files_give_a_clear_error(string content, string message)
    {
        var path = PathOf("bad.json");
        File.WriteAllText(path, content);
        var error = Assert.Throws<VirtualCardStateException>(() => VirtualSmartCard.Load(path));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inconsistent_applet_state_gives_a_clear_error()
    {
        using var card = new CardApCard();
        var state = card.Card.ExportState();
        var applet = (CardApAppletState)state.Applets[0];

        Assert.Throws<VirtualCardStateException>(() => VirtualSmartCard.FromState(state with
        {
            Applets = [applet with { IssuerPublicKey = [1, 2, 3] }],
        }));
        Assert.Throws<VirtualCardStateException>(() => VirtualSmartCard.FromState(state with
        {
            Applets = [applet with { Pin = applet.Pin with { TriesLeft = 9 } }],
        }));
        Assert.Throws<VirtualCardStateException>(() => VirtualSmartCard.FromState(state with
        {
            Applets = [applet with { Files = [new FileState("0999", [1])] }],
        }));
        Assert.Throws<VirtualCardStateException>(() => VirtualSmartCard.FromState(state with
        {
            Applets = [applet with { Files = [new FileState("0101", new byte[CardApSpec.HeaderMaxSize + 1])] }],
        }));
        Assert.Throws<VirtualCardStateException>(() => VirtualSmartCard.FromState(state with { Applets = [applet, applet] }));
    }

    [Fact]
    public void A_missing_file_gives_a_clear_error()
    {
        var error = Assert.Throws<VirtualCardStateException>(() => VirtualSmartCard.Load(PathOf("absent.json")));
        Assert.Contains("Cannot read card state file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void State_holds_no_security_state_a_loaded_card_starts_reset()
    {
        using var card = new CardApCard();
        card.Select();
        Success(card.Authenticate());
        Success(card.Terminal.Send("0020008104" + "34373131"));
        var loaded = VirtualSmartCard.FromState(card.Card.ExportState());
        var applet = loaded.GetApplet<CardApApplet>();
        Assert.False(applet.IsIssuerAuthenticated);
        Assert.False(applet.IsPinVerified);
        Assert.Null(loaded.SelectedApplet);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
