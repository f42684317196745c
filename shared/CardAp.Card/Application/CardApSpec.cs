namespace CardAp.Card.Application;

/// <summary>
/// The CardAp free-area application as it sits on the card: AIDs, files, key and PIN
/// references and the signed-message layouts. docs/card-application.md is the prose version;
/// the virtual card's applet and the edge's reader code both follow exactly these values.
/// </summary>
public static class CardApSpec
{
    /// <summary>Proprietary AID (ISO 7816-5 category F): F0 then "CARDAP".</summary>
    public static readonly byte[] Aid = [0xF0, 0x43, 0x41, 0x52, 0x44, 0x41, 0x50];

    public const byte FormatVersion = 1;

    /// <summary>Header EF: format version, municipality, card number, dates, kind, operator record.</summary>
    public const ushort HeaderFid = 0x0101;
    public const byte HeaderSfi = 1;
    public const int HeaderMaxSize = 256;

    /// <summary>Services EF: one record per registered service.</summary>
    public const ushort ServicesFid = 0x0102;
    public const byte ServicesSfi = 2;
    public const int ServicesMaxSize = 1024;

    /// <summary>Card certificate EF: the card's public key signed by the municipality's issuing key.</summary>
    public const ushort CertificateFid = 0x0103;
    public const byte CertificateSfi = 3;
    public const int CertificateMaxSize = 512;

    /// <summary>VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER reference of the 4-digit PIN.</summary>
    public const byte PinReference = 0x81;
    public const int PinLength = 4;
    public const int PinTries = 3;

    /// <summary>
    /// PUT DATA P1-P2 of the issuing public key the applet checks EXTERNAL AUTHENTICATE with: the
    /// issuer hands a card over to another municipality's key when a resident moves (引越継続).
    /// </summary>
    public const byte IssuerKeyP1 = 0x01;
    public const byte IssuerKeyP2 = 0x01;

    /// <summary>Length of GET CHALLENGE's answer and of the challenge EXTERNAL AUTHENTICATE signs.</summary>
    public const int ChallengeLength = 16;

    /// <summary>Accepted INTERNAL AUTHENTICATE challenge lengths.</summary>
    public const int MinTerminalChallenge = 8;
    public const int MaxTerminalChallenge = 64;

    /// <summary>ECDSA P-256 signatures in IEEE P1363 form (r || s).</summary>
    public const int SignatureLength = 64;

    /// <summary>Uncompressed P-256 point: 04 || X || Y.</summary>
    public const int PublicPointLength = 65;

    /// <summary>Domain separation for the issuer's EXTERNAL AUTHENTICATE signature: prefix || card challenge.</summary>
    public static readonly byte[] ExternalAuthPrefix = "CardAp-EA-v1"u8.ToArray();

    /// <summary>
    /// Domain separation for the card's INTERNAL AUTHENTICATE signature:
    /// prefix || terminal challenge || PIN state (01 verified in this session, 00 not) ||
    /// SHA-256(header EF) || SHA-256(services EF). Binding the files means a relay cannot
    /// swap member numbers; binding the PIN state means the card itself vouches for VERIFY.
    /// </summary>
    public static readonly byte[] InternalAuthPrefix = "CardAp-IA-v1"u8.ToArray();

    /// <summary>Builds the message the card signs in INTERNAL AUTHENTICATE.</summary>
    public static byte[] InternalAuthMessage(ReadOnlySpan<byte> challenge, bool pinVerified, ReadOnlySpan<byte> header, ReadOnlySpan<byte> services)
    {
        var message = new byte[InternalAuthPrefix.Length + challenge.Length + 1 + 64];
        var span = message.AsSpan();
        InternalAuthPrefix.CopyTo(span);
        span = span[InternalAuthPrefix.Length..];
        challenge.CopyTo(span);
        span = span[challenge.Length..];
        span[0] = pinVerified ? (byte)1 : (byte)0;
        System.Security.Cryptography.SHA256.HashData(header, span.Slice(1, 32));
        System.Security.Cryptography.SHA256.HashData(services, span.Slice(33, 32));
        return message;
    }

    /// <summary>Builds the message the issuer signs in EXTERNAL AUTHENTICATE.</summary>
    public static byte[] ExternalAuthMessage(ReadOnlySpan<byte> cardChallenge) => [.. ExternalAuthPrefix, .. cardChallenge];

    /// <summary>TLV tags of the files' content.</summary>
    public static class Tags
    {
        public const uint Header = 0xE1;
        public const uint Services = 0xE2;
        public const uint Service = 0xE3;

        public const uint Version = 0x80;
        public const uint Municipality = 0x81;
        public const uint CardNumber = 0x82;
        public const uint IssuedOn = 0x83;
        public const uint ExpiresOn = 0x84;
        public const uint Kind = 0x85;
        public const uint OperatorId = 0x86;
        public const uint OperatorRole = 0x87;

        public const uint ServiceId = 0x80;
        public const uint MemberNumber = 0x81;
        public const uint ServiceStatus = 0x82;
        public const uint RegisteredOn = 0x83;

        public const uint Certificate = 0x7F21;
        public const uint CertificateBody = 0x7F4E;
        public const uint Profile = 0x5F29;
        public const uint IssuerReference = 0x42;
        public const uint HolderReference = 0x5F20;
        public const uint PublicKey = 0x7F49;
        public const uint EcPoint = 0x86;
        public const uint ValidFrom = 0x5F25;
        public const uint ValidUntil = 0x5F24;
        public const uint Signature = 0x5F37;
    }
}
