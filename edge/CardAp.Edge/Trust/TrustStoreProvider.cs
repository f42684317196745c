using System.Security.Cryptography.X509Certificates;
using CardAp.Card.Application;
using CardAp.Card.Verification;
using CardAp.Edge.Master;
using CardAp.Edge.Store;
using CardAp.Shared.Domain;

namespace CardAp.Edge.Trust;

/// <summary>
/// Builds the offline verifier's trust store from master data (issuing keys, JPKI anchors,
/// card-status list, JPKI links) and rebuilds it only when master data changed.
/// </summary>
public sealed class TrustStoreProvider(MasterData master, TimeProvider clock, ILogger<TrustStoreProvider> logger)
{
    private readonly Lock _gate = new();
    private (long Version, CardVerifier Verifier)? _current;

    public CardVerifier Verifier
    {
        get
        {
            var version = master.Version;
            lock (_gate)
            {
                if (_current is { } current && current.Version == version)
                {
                    return current.Verifier;
                }
                var verifier = new CardVerifier(Build(), clock);
                _current = (version, verifier);
                return verifier;
            }
        }
    }

    private TrustStore Build()
    {
        var issuers = new List<IssuerPublicKey>();
        foreach (var row in master.All<IssuerKeyRow>(MasterKinds.IssuerKey))
        {
            try
            {
                issuers.Add(new IssuerPublicKey(IssuerReference.Parse(row.Reference), Convert.FromBase64String(row.PublicKey)));
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                // One bad row must not take every card down with it; it is logged loudly instead.
                logger.LogError("Master data issuer key {Reference} is unusable: {Error}", row.Reference, e.Message);
            }
        }
        var anchors = new List<X509Certificate2>();
        foreach (var row in master.All<JpkiAnchorRow>(MasterKinds.JpkiAnchor))
        {
            try
            {
                anchors.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(row.Certificate)));
            }
            catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
            {
                logger.LogError("Master data JPKI anchor is unusable: {Error}", e.Message);
            }
        }
        var cards = new List<KeyValuePair<(MunicipalityCode, CardNumber), CardStatus>>();
        var serials = new List<KeyValuePair<string, CardStatus>>();
        foreach (var row in master.All<CardStatusRow>(MasterKinds.CardStatus))
        {
            var status = row.Status.Equals("revoked", StringComparison.OrdinalIgnoreCase) ? CardStatus.Revoked : CardStatus.Suspended;
            if (row.Serial is { Length: > 0 } serial)
            {
                serials.Add(new(serial, status));
            }
            else if (MunicipalityCode.TryParse(row.Municipality, out var municipality) && row.CardNumber is { Length: > 0 } number)
            {
                cards.Add(new((municipality, new CardNumber(number)), status));
            }
        }
        var links = master.All<JpkiLinkRow>(MasterKinds.JpkiLink)
            .GroupBy(l => l.Serial, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(
                g => g.Key,
                g => (IReadOnlyList<ServiceRegistration>)[.. g.Select(l => new ServiceRegistration(
                    new ServiceId(l.Service), new MemberNumber(l.Member),
                    l.Status == "active" ? ServiceStatus.Active : ServiceStatus.Stopped, default))],
                StringComparer.OrdinalIgnoreCase);
        return new TrustStore(issuers, anchors, new CardStatusList(cards, serials), links);
    }
}
