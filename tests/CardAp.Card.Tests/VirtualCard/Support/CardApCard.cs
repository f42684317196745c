using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Tlv;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;

namespace CardAp.Card.Tests.VirtualCard.Support;

/// <summary>A card with the CardAp applet for a fresh issuing key, and the issuer's side of the protocol.</summary>
public sealed class CardApCard : IDisposable
{
    public const string Pin = "4711";

    public CardApCard(params IEnumerable<CardAp.VirtualCard.Applets.IApplet> moreApplets)
    {
        IssuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Applet = new CardApApplet(IssuerKey.ExportParameters(false), Pin);
        Card = new VirtualSmartCard([Applet, .. moreApplets]);
        Terminal = new Terminal(Card);
    }

    public ECDsa IssuerKey { get; }
    public CardApApplet Applet { get; }
    public VirtualSmartCard Card { get; }
    public Terminal Terminal { get; }

    public static string SelectCardAp => "00A4040C07" + Convert.ToHexString(CardApSpec.Aid);

    public void Select() => ResponseAssert.Success(Terminal.Send(SelectCardAp));

    /// <summary>GET CHALLENGE + EXTERNAL AUTHENTICATE signed with <paramref name="key"/> (the issuing key by default).</summary>
    public ResponseApdu Authenticate(ECDsa? key = null)
    {
        var challenge = ResponseAssert.Success(Terminal.Send("0084000010"));
        Assert.Equal(CardApSpec.ChallengeLength, challenge.Length);
        return Terminal.Send(ExternalAuthenticate(challenge, key ?? IssuerKey));
    }

    public static CommandApdu ExternalAuthenticate(byte[] challenge, ECDsa key) =>
        new(0x00, Ins.ExternalAuthenticate, 0, 0,
            key.SignData(CardApSpec.ExternalAuthMessage(challenge), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    public static byte[] Header(string cardNumber = "C-0001", byte kind = 1, string? operatorId = null, string? role = null) =>
        new TlvWriter().WriteConstructed(CardApSpec.Tags.Header, w =>
        {
            w.Write(CardApSpec.Tags.Version, CardApSpec.FormatVersion);
            w.Write(CardApSpec.Tags.Municipality, "131016");
            w.Write(CardApSpec.Tags.CardNumber, cardNumber);
            w.Write(CardApSpec.Tags.IssuedOn, "20250401");
            w.Write(CardApSpec.Tags.ExpiresOn, "20350331");
            w.Write(CardApSpec.Tags.Kind, kind);
            if (operatorId is not null)
            {
                w.Write(CardApSpec.Tags.OperatorId, operatorId);
            }
            if (role is not null)
            {
                w.Write(CardApSpec.Tags.OperatorRole, role);
            }
        }).ToArray();

    public static byte[] Services(params (string Id, string Member)[] services) =>
        new TlvWriter().WriteConstructed(CardApSpec.Tags.Services, w =>
        {
            foreach (var (id, member) in services)
            {
                w.WriteConstructed(CardApSpec.Tags.Service, s => s
                    .Write(CardApSpec.Tags.ServiceId, id)
                    .Write(CardApSpec.Tags.MemberNumber, member)
                    .Write(CardApSpec.Tags.ServiceStatus, (byte)1)
                    .Write(CardApSpec.Tags.RegisteredOn, "20250401"));
            }
        }).ToArray();

    /// <summary>Reads a whole EF by SFI in 256-byte steps (the first by SFI, the rest by offset).</summary>
    public byte[] ReadAll(byte sfi)
    {
        var content = new List<byte>();
        var first = Terminal.Send(new CommandApdu(0, Ins.ReadBinary, (byte)(0x80 | sfi), 0, ne: 256));
        content.AddRange(ResponseAssert.Success(first));
        var last = first.Data.Length;
        while (last == 256)
        {
            var next = Terminal.Send(new CommandApdu(0, Ins.ReadBinary, (byte)(content.Count >> 8), (byte)content.Count, ne: 256));
            var chunk = ResponseAssert.Success(next);
            content.AddRange(chunk);
            last = chunk.Length;
        }
        return [.. content];
    }

    public void Dispose()
    {
        Terminal.Dispose();
        IssuerKey.Dispose();
    }
}
