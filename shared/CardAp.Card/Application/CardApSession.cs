using CardAp.Card.Iso7816;
using static CardAp.Card.Application.CardApSpec;

namespace CardAp.Card.Application;

/// <summary>
/// The terminal's and the issuer's view of the CardAp applet: one method per command of
/// docs/card-application.md, over an <see cref="ApduChannel"/>. No policy here: the verifier
/// and the issuer decide what to do with the answers.
/// </summary>
public sealed class CardApSession(ApduChannel channel)
{
    private const int ChunkSize = 256;

    public ApduChannel Channel => channel;

    /// <summary>Selects the applet. False when the card has no CardAp application (6A 82).</summary>
    public bool Select()
    {
        var response = channel.Transmit(new CommandApdu(0x00, Ins.Select, 0x04, 0x0C, Aid));
        if (response.Status == StatusWord.FileNotFound)
        {
            return false;
        }
        response.EnsureSuccess("SELECT CardAp application");
        return true;
    }

    /// <summary>Reads a whole transparent EF by short file identifier, in 256-byte chunks.</summary>
    public byte[] ReadFile(byte sfi, int maxSize)
    {
        var content = new List<byte>(ChunkSize);
        var response = channel.Transmit(new CommandApdu(0x00, Ins.ReadBinary, (byte)(0x80 | sfi), 0x00, ne: ChunkSize));
        while (true)
        {
            if (response.Status == StatusWord.WrongParametersOffset)
            {
                break;
            }
            if (!response.IsSuccess && response.Status != StatusWord.EndOfFileReached)
            {
                throw new CardStatusException($"READ BINARY of EF SFI {sfi}", response.Status);
            }
            content.AddRange(response.Data.Span);
            if (content.Count > maxSize)
            {
                throw new CardProtocolException($"EF SFI {sfi} is longer than its maximum of {maxSize} bytes.");
            }
            if (response.Data.Length < ChunkSize || response.Status == StatusWord.EndOfFileReached)
            {
                break;
            }
            var offset = content.Count;
            response = channel.Transmit(new CommandApdu(0x00, Ins.ReadBinary, (byte)(offset >> 8), (byte)offset, ne: ChunkSize));
        }
        return [.. content];
    }

    public byte[] ReadHeader() => ReadFile(HeaderSfi, HeaderMaxSize);

    public byte[] ReadServices() => ReadFile(ServicesSfi, ServicesMaxSize);

    public byte[] ReadCertificate() => ReadFile(CertificateSfi, CertificateMaxSize);

    public PinResult VerifyPin(string pin) =>
        PinResult.FromStatus(channel.Transmit(new CommandApdu(0x00, Ins.Verify, 0x00, PinReference, PinResult.EncodePin(pin))).Status, "VERIFY PIN");

    /// <summary>Asks for the PIN state without presenting a PIN (no try is used).</summary>
    public PinResult PinStatus() =>
        PinResult.FromStatus(channel.Transmit(new CommandApdu(0x00, Ins.Verify, 0x00, PinReference)).Status, "PIN status");

    public byte[] InternalAuthenticate(ReadOnlySpan<byte> challenge) =>
        channel.Transmit(new CommandApdu(0x00, Ins.InternalAuthenticate, 0x00, 0x00, challenge.ToArray(), CommandApdu.MaxNe))
            .EnsureSuccess("INTERNAL AUTHENTICATE").ToArray();

    public byte[] GetChallenge() =>
        channel.Transmit(new CommandApdu(0x00, Ins.GetChallenge, 0x00, 0x00, ne: ChallengeLength)).EnsureSuccess("GET CHALLENGE").ToArray();

    public void ExternalAuthenticate(ReadOnlySpan<byte> signature) =>
        channel.Transmit(new CommandApdu(0x00, Ins.ExternalAuthenticate, 0x00, 0x00, signature.ToArray())).EnsureSuccess("EXTERNAL AUTHENTICATE");

    /// <summary>Has the card make a new key pair; returns its uncompressed public point.</summary>
    public byte[] GenerateKeyPair()
    {
        var data = channel.Transmit(new CommandApdu(0x00, Ins.GenerateAsymmetricKeyPair, 0x80, 0x00, ne: CommandApdu.MaxNe))
            .EnsureSuccess("GENERATE ASYMMETRIC KEY PAIR");
        var key = Tlv.BerTlv.ParseSingle(data, Tags.PublicKey).Children();
        var point = Tlv.BerTlv.Require(key, Tags.EcPoint, "Generated public key").Value.ToArray();
        if (point.Length != PublicPointLength || point[0] != 0x04)
        {
            throw new CardProtocolException("The card returned a public key that is not an uncompressed P-256 point.");
        }
        return point;
    }

    /// <summary>Replaces a whole EF's content: UPDATE BINARY in chunks, then ERASE BINARY of any old tail.</summary>
    public void WriteFile(ushort fid, ReadOnlySpan<byte> content)
    {
        channel.Transmit(new CommandApdu(0x00, Ins.Select, 0x02, 0x0C, new byte[] { (byte)(fid >> 8), (byte)fid })).EnsureSuccess($"SELECT EF {fid:X4}");
        for (var offset = 0; offset < content.Length; offset += CommandApdu.MaxData)
        {
            var chunk = content.Slice(offset, Math.Min(CommandApdu.MaxData, content.Length - offset)).ToArray();
            channel.Transmit(new CommandApdu(0x00, Ins.UpdateBinary, (byte)(offset >> 8), (byte)offset, chunk))
                .EnsureSuccess($"UPDATE BINARY EF {fid:X4}");
        }
        var end = content.Length;
        channel.Transmit(new CommandApdu(0x00, Ins.EraseBinary, (byte)(end >> 8), (byte)end)).EnsureSuccess($"ERASE BINARY EF {fid:X4}");
    }

    /// <summary>Replaces the issuing public key the applet authenticates the issuer with (issuer only): SubjectPublicKeyInfo DER of a P-256 key.</summary>
    public void PutIssuerKey(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        channel.Transmit(new CommandApdu(0x00, Ins.PutData, IssuerKeyP1, IssuerKeyP2, subjectPublicKeyInfo.ToArray())).EnsureSuccess("PUT DATA issuer key");

    public void ResetPin(string newPin) =>
        channel.Transmit(new CommandApdu(0x00, Ins.ResetRetryCounter, 0x02, PinReference, PinResult.EncodePin(newPin))).EnsureSuccess("RESET RETRY COUNTER");
}
