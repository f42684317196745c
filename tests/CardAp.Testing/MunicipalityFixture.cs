using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Card.Verification;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Issuance;
using CardAp.VirtualCard.Jpki;

namespace CardAp.Testing;

/// <summary>A municipality with its issuing key and a JPKI test CA, shared by the identification tests.</summary>
public sealed class MunicipalityFixture : IDisposable
{
    public static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");

    public IssuingKey IssuingKey { get; } = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
    public JpkiTestAuthority Jpki { get; } = new();
    public RSA JpkiCardKey { get; } = RSA.Create(2048);

    public static readonly ServiceRegistration Library =
        new(ServiceId.Parse("library"), MemberNumber.Parse("L0001"), ServiceStatus.Active, new DateOnly(2026, 5, 1));

    /// <summary>A resident's card with both the CardAp application and a JPKI application.</summary>
    public (VirtualSmartCard Card, JpkiIssuedCard Jpki) Resident(string number = "C-0001", IssuingKey? issuingKey = null)
    {
        var jpki = Jpki.IssueCard(authenticationPin: "5678", authenticationKey: JpkiCardKey);
        var header = new CardHeader(Chiyoda, CardNumber.Parse(number), new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31));
        return (VirtualCards.Issue(issuingKey ?? IssuingKey, header, "1234", [Library], jpki.Applet), jpki);
    }

    public CardVerifier Verifier(CardStatusList? status = null, string? linkedSerial = null) =>
        new(new TrustStore([IssuingKey.PublicKey], [Jpki.CaCertificate], status,
            linkedSerial is null ? null : new Dictionary<string, IReadOnlyList<ServiceRegistration>> { [linkedSerial] = [Library] }),
            TimeProvider.System);

    public void Dispose()
    {
        IssuingKey.Dispose();
        Jpki.Dispose();
        JpkiCardKey.Dispose();
    }
}
