using System.Security.Cryptography;
using System.Text;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Jpki;

namespace CardAp.VirtualCard.Cli;

/// <summary>
/// <c>cardap-vcard new</c>: a card as delivered to a municipality (blank CardAp applet that knows
/// the issuing key, to be issued through APDUs) and/or with a JPKI applet from a test CA.
/// </summary>
internal static class NewCommand
{
    public static int Run(NewOptions options, TextWriter output, TextWriter error)
    {
        if (options.IssuerKey is null && !options.Jpki)
        {
            error.WriteLine("Nothing to put on the card: give --issuer-key for the CardAp applet and/or --jpki.");
            return ExitCodes.BadInput;
        }
        if (options.StateFile.Exists)
        {
            error.WriteLine($"{options.StateFile.FullName} exists; refusing to overwrite a card (its keys would be lost).");
            return ExitCodes.BadInput;
        }
        try
        {
            var applets = new List<IApplet>();
            if (options.IssuerKey is not null)
            {
                applets.Add(new CardApApplet(ReadPublicKey(options.IssuerKey), options.Pin));
            }
            JpkiIssuedCard? issued = null;
            if (options.Jpki)
            {
                using var authority = OpenAuthority(options.Authority, output);
                issued = authority.IssueCard(options.AuthenticationPin, options.SigningPin);
                applets.Add(issued.Applet);
                if (options.CaCertificateOut is not null)
                {
                    File.WriteAllText(options.CaCertificateOut.FullName, issued.CaCertificate.ExportCertificatePem() + "\n");
                    output.WriteLine($"JPKI test CA certificate written to {options.CaCertificateOut.FullName}");
                }
            }
            new VirtualSmartCard(applets).Save(options.StateFile.FullName);
            output.WriteLine($"Card written to {options.StateFile.FullName} ({string.Join(", ", applets.Select(a => a.Name))})");
            if (issued is not null)
            {
                output.WriteLine($"JPKI user authentication certificate serial {issued.SerialNumber}");
            }
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"Cannot make the card: {e.Message}");
            return ExitCodes.BadInput;
        }
    }

    private static JpkiTestAuthority OpenAuthority(FileInfo? file, TextWriter output)
    {
        if (file is null)
        {
            return new JpkiTestAuthority();
        }
        if (file.Exists)
        {
            return JpkiTestAuthority.FromPkcs12(File.ReadAllBytes(file.FullName), password: null);
        }
        var authority = new JpkiTestAuthority();
        File.WriteAllBytes(file.FullName, authority.ExportPkcs12(password: null));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        output.WriteLine($"New JPKI test CA saved to {file.FullName}");
        return authority;
    }

    /// <summary>PEM ("-----BEGIN PUBLIC KEY-----") or DER SubjectPublicKeyInfo.</summary>
    private static byte[] ReadPublicKey(FileInfo file)
    {
        var bytes = File.ReadAllBytes(file.FullName);
        var text = Encoding.ASCII.GetString(bytes);
        if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return bytes;
        }
        var pem = PemEncoding.Find(text);
        var label = text[pem.Label];
        if (label != "PUBLIC KEY")
        {
            throw new ArgumentException($"{file.FullName} holds a PEM \"{label}\"; expected \"PUBLIC KEY\" (the issuing key's public half only).");
        }
        return Convert.FromBase64String(text[pem.Base64Data]);
    }
}
