using CardAp.Card.Application;
using CardAp.Card.Iso7816;

namespace CardAp.Card.Jpki;

/// <summary>
/// The terminal's view of the card's JPKI application (公的個人認証), with the commands CARD.md
/// lists. Only the user-authentication side is used: its certificate is readable without a PIN.
/// </summary>
public sealed class JpkiSession(ApduChannel channel)
{
    public static readonly byte[] Aid = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

    public const ushort AuthCertificateFid = 0x000A;
    public const ushort AuthCaCertificateFid = 0x000B;
    public const ushort AuthPrivateKeyFid = 0x0017;
    public const ushort AuthPinFid = 0x0018;

    /// <summary>Certificates on the card are a few KB at most; more is a hostile answer.</summary>
    public const int MaxCertificateSize = 4096;

    private const int Chunk = 256;

    /// <summary>DER prefix of a SHA-256 DigestInfo (PKCS#1 v1.5); the card pads, we supply the DigestInfo.</summary>
    private static readonly byte[] Sha256DigestInfoPrefix =
        [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

    /// <summary>Selects the JPKI application. False when the card has none (6A 82).</summary>
    public bool Select()
    {
        var response = channel.Transmit(new CommandApdu(0x00, Ins.Select, 0x04, 0x0C, Aid));
        if (response.Status == StatusWord.FileNotFound)
        {
            return false;
        }
        response.EnsureSuccess("SELECT JPKI application");
        return true;
    }

    /// <summary>
    /// Reads a DER certificate EF: the first 256-byte chunk carries the 30 82 LL LL header that
    /// gives the size, so no separate 4-byte length read is needed.
    /// </summary>
    public byte[] ReadCertificate(ushort fid)
    {
        SelectEf(fid);
        var first = channel.Transmit(new CommandApdu(0x00, Ins.ReadBinary, 0, 0, ne: Chunk));
        if (!first.IsSuccess && first.Status != StatusWord.EndOfFileReached)
        {
            throw new CardStatusException($"READ BINARY of JPKI EF {fid:X4}", first.Status);
        }
        var head = first.Data.Span;
        if (head.Length < 4 || head[0] != 0x30 || head[1] != 0x82)
        {
            throw new CardProtocolException($"JPKI EF {fid:X4} does not start with a DER SEQUENCE header (30 82 LL LL).");
        }
        var size = (head[2] << 8 | head[3]) + 4;
        if (size > MaxCertificateSize)
        {
            throw new CardProtocolException($"JPKI EF {fid:X4} claims a {size}-byte certificate; at most {MaxCertificateSize} is plausible.");
        }
        var certificate = new byte[size];
        var have = Math.Min(head.Length, size);
        head[..have].CopyTo(certificate);
        while (have < size)
        {
            var want = Math.Min(Chunk, size - have);
            var data = channel.Transmit(new CommandApdu(0x00, Ins.ReadBinary, (byte)(have >> 8), (byte)have, ne: want))
                .EnsureSuccess($"READ BINARY of JPKI EF {fid:X4} at {have}");
            if (data.Length == 0)
            {
                throw new CardProtocolException($"JPKI EF {fid:X4} ended at {have} bytes, before the {size} its header announced.");
            }
            data.Span.CopyTo(certificate.AsSpan(have));
            have += data.Length;
        }
        return certificate;
    }

    public PinResult VerifyAuthPin(string pin)
    {
        SelectEf(AuthPinFid);
        return PinResult.FromStatus(channel.Transmit(new CommandApdu(0x00, Ins.Verify, 0x00, 0x80, PinResult.EncodePin(pin))).Status, "VERIFY JPKI PIN");
    }

    /// <summary>Signs a SHA-256 hash with the user-authentication key (PIN verified first).</summary>
    public byte[] SignHash(ReadOnlySpan<byte> sha256)
    {
        SelectEf(AuthPrivateKeyFid);
        byte[] digestInfo = [.. Sha256DigestInfoPrefix, .. sha256];
        return channel.Transmit(new CommandApdu(0x80, Ins.PerformSecurityOperation, 0x00, 0x80, digestInfo, CommandApdu.MaxNe))
            .EnsureSuccess("JPKI COMPUTE DIGITAL SIGNATURE").ToArray();
    }

    private void SelectEf(ushort fid) =>
        channel.Transmit(new CommandApdu(0x00, Ins.Select, 0x02, 0x0C, new byte[] { (byte)(fid >> 8), (byte)fid }))
            .EnsureSuccess($"SELECT JPKI EF {fid:X4}");
}
