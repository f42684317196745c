using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CardAp.Hub.Security;

/// <summary>
/// Accepts a TLS client certificate only when it chains to the hub CA (custom root trust: the
/// machine's store plays no part), is valid now, and is meant for client authentication. No
/// revocation fetch: the hub's own card and terminal status lists do that job (ADR 0007).
/// </summary>
public sealed class ClientCertificateTrust(X509Certificate2 hubCa, TimeProvider? clock = null)
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public X509Certificate2 HubCa { get; } = hubCa;

    /// <summary>True when <paramref name="certificate"/> chains to the hub CA and is for client authentication.</summary>
    public bool IsTrusted(X509Certificate2? certificate) => Check(certificate) is null;

    /// <summary>Null when trusted, otherwise why not.</summary>
    public string? Check(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return "no client certificate";
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(HubCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = _clock.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        try
        {
            if (!chain.Build(certificate))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}"));
                return $"'{certificate.Subject}' does not chain to the hub CA: {status}";
            }
        }
        catch (CryptographicException e)
        {
            return $"'{certificate.Subject}' could not be checked: {e.Message}";
        }
        // The chain must end at the hub CA itself, not at some other root with the same name.
        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(HubCa.RawDataMemory.Span))
        {
            return $"'{certificate.Subject}' chains to '{root.Subject}', not to the hub CA.";
        }
        return null;
    }
}
