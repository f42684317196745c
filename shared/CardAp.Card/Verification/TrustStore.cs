using System.Security.Cryptography.X509Certificates;
using CardAp.Card.Application;
using CardAp.Shared.Domain;

namespace CardAp.Card.Verification;

/// <summary>
/// Everything offline verification needs, all of it public master data synced to the edge:
/// the municipalities' issuing public keys, the JPKI trust anchors, the card-status list and
/// the JPKI links (certificate serial to member numbers). No secret is involved.
/// </summary>
public sealed class TrustStore
{
    private readonly Dictionary<IssuerReference, IssuerPublicKey> _issuers;

    public TrustStore(
        IEnumerable<IssuerPublicKey> issuers,
        IEnumerable<X509Certificate2>? jpkiAnchors = null,
        CardStatusList? statusList = null,
        IReadOnlyDictionary<string, IReadOnlyList<ServiceRegistration>>? jpkiLinks = null)
    {
        _issuers = issuers.ToDictionary(k => k.Reference);
        JpkiAnchors = [.. jpkiAnchors ?? []];
        StatusList = statusList ?? CardStatusList.Empty;
        JpkiLinks = jpkiLinks ?? new Dictionary<string, IReadOnlyList<ServiceRegistration>>();
    }

    public X509Certificate2Collection JpkiAnchors { get; }

    public CardStatusList StatusList { get; }

    /// <summary>JPKI user-authentication certificate serial (hex, as X509Certificate2.SerialNumber) to the services linked to it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ServiceRegistration>> JpkiLinks { get; }

    public IssuerPublicKey? FindIssuer(IssuerReference reference) => _issuers.GetValueOrDefault(reference);
}

public enum CardStatus
{
    /// <summary>一時停止: reported lost, or held; may be resumed.</summary>
    Suspended,
    /// <summary>廃止: returned, replaced or invalidated for good.</summary>
    Revoked,
}

/// <summary>Suspended and revoked cards: CardAp cards by municipality and card number, JPKI certificates by serial.</summary>
public sealed class CardStatusList
{
    public static readonly CardStatusList Empty = new([], []);

    private readonly Dictionary<(MunicipalityCode, CardNumber), CardStatus> _cards;
    private readonly Dictionary<string, CardStatus> _certificates;

    public CardStatusList(
        IEnumerable<KeyValuePair<(MunicipalityCode Municipality, CardNumber Card), CardStatus>> cards,
        IEnumerable<KeyValuePair<string, CardStatus>> certificateSerials)
    {
        _cards = new(cards);
        _certificates = new(certificateSerials, StringComparer.OrdinalIgnoreCase);
    }

    public CardStatus? ForCard(MunicipalityCode municipality, CardNumber card) =>
        _cards.TryGetValue((municipality, card), out var status) ? status : null;

    public CardStatus? ForCertificate(string serialHex) =>
        _certificates.TryGetValue(serialHex, out var status) ? status : null;
}
