using System.Security.Cryptography;
using CardAp.Card.Tests.VirtualCard.Support;

[assembly: AssemblyFixture(typeof(TestKeys))]

namespace CardAp.Card.Tests.VirtualCard.Support;

/// <summary>
/// RSA-2048 keys made once per test run (each costs 100 ms or more) and a test CA built on them.
/// Cards issued from <see cref="Authority"/> with these keys are cheap.
/// </summary>
public sealed class TestKeys : IDisposable
{
    private readonly Lazy<RSA> _caKey = new(() => RSA.Create(2048));
    private readonly Lazy<RSA> _authenticationKey = new(() => RSA.Create(2048));
    private readonly Lazy<RSA> _signingKey = new(() => RSA.Create(2048));
    private readonly Lazy<CardAp.VirtualCard.Jpki.JpkiTestAuthority> _authority;

    public TestKeys()
    {
        _authority = new(() => new CardAp.VirtualCard.Jpki.JpkiTestAuthority(key: CaKey));
    }

    public RSA CaKey => _caKey.Value;
    public RSA AuthenticationKey => _authenticationKey.Value;
    public RSA SigningKey => _signingKey.Value;
    public CardAp.VirtualCard.Jpki.JpkiTestAuthority Authority => _authority.Value;

    /// <summary>A JPKI card issued with the shared keys: auth PIN 1234, signing PIN SIGN1234.</summary>
    public CardAp.VirtualCard.Jpki.JpkiIssuedCard IssueJpki(bool withSigningCertificate = true) =>
        Authority.IssueCard(authenticationKey: AuthenticationKey, signingKey: SigningKey, withSigningCertificate: withSigningCertificate);

    public void Dispose()
    {
        if (_authority.IsValueCreated)
        {
            _authority.Value.Dispose();
        }
        foreach (var key in new[] { _caKey, _authenticationKey, _signingKey })
        {
            if (key.IsValueCreated)
            {
                key.Value.Dispose();
            }
        }
    }
}
