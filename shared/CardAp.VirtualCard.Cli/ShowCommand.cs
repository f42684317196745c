using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CardAp.Card.Tlv;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Files;
using CardAp.VirtualCard.Jpki;
using CardAp.VirtualCard.State;

namespace CardAp.VirtualCard.Cli;

/// <summary>
/// <c>cardap-vcard show</c>: what a card file holds, as far as anyone may see it. Private keys and
/// PIN values are never printed; PIN retry counters and public keys are.
/// </summary>
internal static class ShowCommand
{
    public static int Run(FileInfo stateFile, TextWriter output, TextWriter error)
    {
        VirtualSmartCard card;
        try
        {
            card = VirtualSmartCard.Load(stateFile.FullName);
        }
        catch (VirtualCardStateException e)
        {
            error.WriteLine(e.Message);
            return ExitCodes.BadInput;
        }
        Describe(card, stateFile.FullName, output);
        return ExitCodes.Success;
    }

    public static void Describe(VirtualSmartCard card, string source, TextWriter output)
    {
        output.WriteLine($"Card {source}");
        output.WriteLine($"  ATR {Convert.ToHexString(card.Atr)}");
        foreach (var applet in card.Applets)
        {
            output.WriteLine();
            output.WriteLine($"Applet {applet.Name}, AID {Convert.ToHexString(applet.Aid.Span)}");
            switch (applet)
            {
                case CardApApplet cardAp:
                    DescribeCardAp(cardAp, output);
                    break;
                case JpkiApplet jpki:
                    DescribeJpki(jpki, output);
                    break;
            }
        }
    }

    private static void DescribeCardAp(CardApApplet applet, TextWriter output)
    {
        output.WriteLine($"  PIN 81: {applet.PinTriesLeft} of {applet.PinMaxTries} tries left{(applet.PinTriesLeft == 0 ? " (blocked)" : string.Empty)}");
        output.WriteLine($"  Issuer key: P-256, SHA-256 of SubjectPublicKeyInfo {Convert.ToHexString(SHA256.HashData(applet.IssuerPublicKey))}");
        output.WriteLine(applet.CardPublicPoint is { } point
            ? $"  Card key: P-256, public point {Convert.ToHexString(point)}"
            : "  Card key: none (GENERATE ASYMMETRIC KEY PAIR not done yet)");
        foreach (var file in applet.Files.Files)
        {
            WriteFileLine(file, output);
            if (file.Length > 0)
            {
                WriteTlv(file.Content, "      ", output);
            }
        }
    }

    private static void DescribeJpki(JpkiApplet applet, TextWriter output)
    {
        output.WriteLine($"  Authentication PIN (EF 0018): {applet.AuthenticationPinTriesLeft} of {JpkiFiles.AuthenticationPinTries} tries left");
        output.WriteLine($"  Signing PIN (EF 001B): {applet.SigningPinTriesLeft} of {JpkiFiles.SigningPinTries} tries left");
        output.WriteLine($"  Signing key: {(applet.Signing is null ? "none" : "RSA-2048")}; authentication key: RSA-2048");
        foreach (var file in applet.Files.Files)
        {
            WriteFileLine(file, output);
            if (file.Length == 0)
            {
                continue;
            }
            if (file.Fid == JpkiFiles.TokenLabel)
            {
                output.WriteLine($"      \"{Encoding.ASCII.GetString(file.Content.Span).TrimEnd()}\"");
                continue;
            }
            try
            {
                using var certificate = X509CertificateLoader.LoadCertificate(file.Content.Span);
                output.WriteLine($"      subject {certificate.Subject}");
                output.WriteLine($"      issuer  {certificate.Issuer}");
                output.WriteLine($"      serial  {certificate.SerialNumber}");
                output.WriteLine($"      valid   {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z .. {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z");
            }
            catch (CryptographicException e)
            {
                output.WriteLine($"      not a certificate: {e.Message}");
            }
        }
    }

    private static void WriteFileLine(ElementaryFile file, TextWriter output)
    {
        var sfi = file.Sfi is { } s ? $", SFI {s}" : string.Empty;
        var size = file.MaxSize == 0 ? "key/PIN, not readable" : $"{file.Length}/{file.MaxSize} bytes";
        output.WriteLine($"  EF {file.Fid:X4} {file.Name}{sfi}: {size}");
    }

    /// <summary>A BER-TLV tree, values as ASCII where they are printable; raw hex where the content is not TLV.</summary>
    private static void WriteTlv(ReadOnlyMemory<byte> content, string indent, TextWriter output)
    {
        IReadOnlyList<TlvObject> objects;
        try
        {
            objects = BerTlv.Parse(content);
        }
        catch (TlvException)
        {
            output.WriteLine($"{indent}{Convert.ToHexString(content.Span)}");
            return;
        }
        foreach (var tlv in objects)
        {
            if (tlv.IsConstructed)
            {
                output.WriteLine($"{indent}{tlv.Tag:X}");
                WriteTlv(tlv.Value, indent + "  ", output);
            }
            else
            {
                output.WriteLine($"{indent}{tlv.Tag:X} {Render(tlv.Value.Span)}");
            }
        }
    }

    private static string Render(ReadOnlySpan<byte> value)
    {
        var printable = value.Length > 1 && Ascii.IsValid(value) && !value.ContainsAnyInRange((byte)0, (byte)0x1F);
        return printable ? $"\"{Encoding.ASCII.GetString(value)}\"" : Convert.ToHexString(value);
    }
}
