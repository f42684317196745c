using System.Security.Cryptography.X509Certificates;
using CardAp.Card.Tests.VirtualCard.Support;
using CardAp.VirtualCard.Jpki;

namespace CardAp.Card.Tests.VirtualCard;

/// <summary>The test CA and the certificates it issues.</summary>
public sealed class JpkiTestAuthorityTests(TestKeys keys)
{
    [Fact]
    public void Issued_certificates_chain_to_the_ca_and_carry_no_personal_data()
    {
        var issued = keys.IssueJpki();
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(issued.CaCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(issued.AuthenticationCertificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        var subject = issued.AuthenticationCertificate.SubjectName.Name;
        Assert.Matches("^CN=[0-9A-F]{16}, OU=JPKI User Authentication, O=CardAp Test, C=JP$", subject);
        Assert.Equal(issued.AuthenticationCertificate.SerialNumber, issued.SerialNumber);
        Assert.True((issued.AuthenticationCertificate.SerialNumberBytes.Span[0] & 0x80) == 0, "serial must be a positive INTEGER");
        Assert.Equal(2048, issued.AuthenticationCertificate.GetRSAPublicKey()!.KeySize);
        var basic = issued.CaCertificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.CertificateAuthority);
    }

    [Fact]
    public void Serials_are_random_and_validity_is_as_asked()
    {
        // Whole seconds inside the CA's validity (it started a day before it was made).
        var from = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var until = from.AddYears(3);
        var first = keys.Authority.IssueCard(notBefore: from, notAfter: until, authenticationKey: keys.AuthenticationKey, withSigningCertificate: false);
        var second = keys.Authority.IssueCard(authenticationKey: keys.AuthenticationKey, withSigningCertificate: false);
        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
        Assert.Equal(from.UtcDateTime, first.AuthenticationCertificate.NotBefore.ToUniversalTime());
        Assert.Equal(until.UtcDateTime, first.AuthenticationCertificate.NotAfter.ToUniversalTime());
        Assert.Null(first.SigningCertificate);
        Assert.Throws<ArgumentException>(() => keys.Authority.IssueCard(notBefore: until, notAfter: from, authenticationKey: keys.AuthenticationKey));
    }

    [Fact]
    public void The_authority_survives_a_pkcs12_round_trip()
    {
        using var restored = JpkiTestAuthority.FromPkcs12(keys.Authority.ExportPkcs12("pw"), "pw");
        Assert.Equal(keys.Authority.CaCertificate.RawData, restored.CaCertificate.RawData);
        var issued = restored.IssueCard(authenticationKey: keys.AuthenticationKey, withSigningCertificate: false);
        using var ca = keys.Authority.CaCertificate;
        Assert.Equal(ca.SubjectName.Name, issued.AuthenticationCertificate.IssuerName.Name);
    }
}
