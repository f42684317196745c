namespace CardAp.Card.Iso7816;

/// <summary>The ISO 7816-4/-8 instruction bytes the card layer uses.</summary>
public static class Ins
{
    public const byte EraseBinary = 0x0E;
    public const byte Verify = 0x20;
    public const byte ChangeReferenceData = 0x24;
    public const byte ResetRetryCounter = 0x2C;
    public const byte PerformSecurityOperation = 0x2A;
    public const byte GenerateAsymmetricKeyPair = 0x47;
    public const byte ExternalAuthenticate = 0x82;
    public const byte GetChallenge = 0x84;
    public const byte InternalAuthenticate = 0x88;
    public const byte Select = 0xA4;
    public const byte ReadBinary = 0xB0;
    public const byte GetResponse = 0xC0;
    public const byte GetData = 0xCA;
    public const byte UpdateBinary = 0xD6;
    public const byte PutData = 0xDA;
}
