using CardAp.Card.Application;
using CardAp.Shared.Domain;

namespace CardAp.Card.Verification;

public enum IdentificationMethod
{
    /// <summary>カードAP方式: our application in the card's free area.</summary>
    CardAp,
    /// <summary>ID連携方式: the JPKI user-authentication certificate linked to member numbers.</summary>
    JpkiLink,
}

/// <summary>Who the card belongs to, as far as the services need to know (never the My Number).</summary>
public sealed record CardIdentity(
    IdentificationMethod Method,
    MunicipalityCode? Municipality,
    CardNumber? CardNumber,
    string? CertificateSerial,
    DateOnly ValidUntil,
    IReadOnlyList<ServiceRegistration> Services,
    OperatorRecord? Operator,
    bool PinVerified)
{
    /// <summary>The member number for a service, if the resident is registered and active in it.</summary>
    public MemberNumber? MemberOf(ServiceId service) =>
        Services.FirstOrDefault(s => s.Service == service && s.Status == ServiceStatus.Active)?.Member;
}

/// <summary>The outcome of one identification: an identity, or exactly why not.</summary>
public sealed record IdentificationResult
{
    private IdentificationResult(CardIdentity? identity, Refusal? refusal, int apduCount)
    {
        Identity = identity;
        Refusal = refusal;
        ApduCount = apduCount;
    }

    public CardIdentity? Identity { get; }

    public Refusal? Refusal { get; }

    /// <summary>APDUs the identification exchanged with the card (for diagnostics and benchmarks).</summary>
    public int ApduCount { get; }

    public bool IsIdentified => Identity is not null;

    public static IdentificationResult Identified(CardIdentity identity, int apduCount) => new(identity, null, apduCount);

    public static IdentificationResult Refused(Refusal refusal, int apduCount) => new(null, refusal, apduCount);

    public override string ToString() => IsIdentified ? $"identified {Identity}" : $"refused: {Refusal}";
}
