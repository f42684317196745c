namespace CardAp.VirtualCard.Jpki;

/// <summary>The JPKI application's AID and file identifiers (public facts, see /work/shared/docs/CARD.md).</summary>
public static class JpkiFiles
{
    public static readonly byte[] Aid = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

    /// <summary>The other standard applications of the My Number card; the virtual card does not hold them.</summary>
    public static readonly byte[] TextSupportAid = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
    public static readonly byte[] VisualCheckAid = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

    public const ushort TokenLabel = 0x0006;
    public const ushort AuthenticationCertificate = 0x000A;
    public const ushort AuthenticationCaCertificate = 0x000B;
    public const ushort AuthenticationKey = 0x0017;
    public const ushort AuthenticationPin = 0x0018;
    public const ushort SigningCertificate = 0x0001;
    public const ushort SigningCaCertificate = 0x0002;
    public const ushort SigningKey = 0x001A;
    public const ushort SigningPin = 0x001B;

    public const int AuthenticationPinLength = 4;
    public const int AuthenticationPinTries = 3;
    public const int SigningPinMinLength = 6;
    public const int SigningPinMaxLength = 16;
    public const int SigningPinTries = 5;

    /// <summary>Token label: "JPKIAPICCTOKEN2" space-padded to 32 bytes marks a physical My Number card.</summary>
    public const string TokenLabelText = "JPKIAPICCTOKEN2";
    public const int TokenLabelLength = 32;

    public const int RsaModulusLength = 256;
}
