using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CardAp.Hub.Security;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Options;

/// <summary>The hub host's settings (section "Hub"), validated at start-up.</summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>PEM file of the hub CA certificate: client certificates must chain to it.</summary>
    public string CaCertificatePath { get; set; } = string.Empty;

    /// <summary>PEM file of the hub's TLS server certificate (issued by the hub CA).</summary>
    public string ServerCertificatePath { get; set; } = string.Empty;

    /// <summary>PEM file of the server certificate's private key.</summary>
    public string ServerKeyPath { get; set; } = string.Empty;

    /// <summary>Where the hub listens: https, an IP address or localhost, and a port (0: any free port).</summary>
    public string ListenUrl { get; set; } = "https://0.0.0.0:7443";
}

/// <summary>Start-up validation with messages an installer can act on: every bad setting is named.</summary>
public sealed class HubOptionsValidator : IValidateOptions<HubOptions>
{
    public ValidateOptionsResult Validate(string? name, HubOptions options)
    {
        var errors = new List<string>();
        var ca = LoadCa(options.CaCertificatePath, errors);
        CheckServerCertificate(options, ca, errors);
        if (!HubListenAddress.TryParse(options.ListenUrl, out _, out var listenError))
        {
            errors.Add($"Hub:ListenUrl: {listenError}");
        }
        ca?.Dispose();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static X509Certificate2? LoadCa(string path, List<string> errors)
    {
        if (!FileExists(path, "Hub:CaCertificatePath", "the hub CA certificate (PEM)", errors))
        {
            return null;
        }
        try
        {
            var ca = CertificatePem.LoadCertificate(path);
            if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            {
                errors.Add($"Hub:CaCertificatePath '{path}' is not a CA certificate (basic constraints CA=true).");
                ca.Dispose();
                return null;
            }
            return ca;
        }
        catch (CryptographicException e)
        {
            errors.Add($"Hub:CaCertificatePath '{path}' is not a PEM certificate: {e.Message}");
            return null;
        }
    }

    private static void CheckServerCertificate(HubOptions options, X509Certificate2? ca, List<string> errors)
    {
        var certOk = FileExists(options.ServerCertificatePath, "Hub:ServerCertificatePath", "the hub's server certificate (PEM)", errors);
        var keyOk = FileExists(options.ServerKeyPath, "Hub:ServerKeyPath", "the server certificate's private key (PEM)", errors);
        if (!certOk || !keyOk)
        {
            return;
        }
        try
        {
            using var server = CertificatePem.Load(options.ServerCertificatePath, options.ServerKeyPath);
            if (ca is not null && !string.Equals(server.Issuer, ca.Subject, StringComparison.Ordinal))
            {
                errors.Add($"Hub:ServerCertificatePath '{options.ServerCertificatePath}' was issued by '{server.Issuer}', not by the hub CA '{ca.Subject}'.");
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            errors.Add($"Hub:ServerCertificatePath / Hub:ServerKeyPath: the certificate and key do not load as a matching PEM pair: {e.Message}");
        }
    }

    private static bool FileExists(string path, string setting, string what, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add($"{setting} is required: the path of {what}.");
            return false;
        }
        if (!File.Exists(path))
        {
            errors.Add($"{setting} '{path}' does not exist.");
            return false;
        }
        return true;
    }
}

/// <summary>The parsed <see cref="HubOptions.ListenUrl"/>.</summary>
public sealed record HubListenAddress(IPAddress? Address, bool Localhost, int Port)
{
    public static bool TryParse(string? url, out HubListenAddress address, out string error)
    {
        address = new HubListenAddress(null, false, 0);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            error = $"'{url}' is not an https URL such as https://0.0.0.0:7443 (the hub serves only mutual TLS).";
            return false;
        }
        if (uri.IsDefaultPort && !url!.Contains(":443", StringComparison.Ordinal))
        {
            error = $"'{url}' names no port, e.g. https://0.0.0.0:7443.";
            return false;
        }
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            error = $"'{url}' has a path or query; give only scheme, host and port.";
            return false;
        }
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            if (uri.Port == 0)
            {
                error = $"'{url}': port 0 (any free port) needs an IP address, not localhost.";
                return false;
            }
            address = new HubListenAddress(null, true, uri.Port);
            error = string.Empty;
            return true;
        }
        if (!IPAddress.TryParse(uri.Host, out var ip))
        {
            error = $"'{url}': the host must be an IP address (0.0.0.0 for all) or localhost, got '{uri.Host}'.";
            return false;
        }
        address = new HubListenAddress(ip, false, uri.Port);
        error = string.Empty;
        return true;
    }
}
