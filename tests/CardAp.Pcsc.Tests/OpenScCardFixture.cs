using CardAp.VirtualCard.Jpki;

namespace CardAp.Pcsc.Tests;

/// <summary>One test CA for the OpenSC tests; each test issues its own card (cheap once the CA exists).</summary>
public sealed class OpenScCardFixture : IDisposable
{
    public JpkiTestAuthority Authority { get; } = new();

    public void Dispose() => Authority.Dispose();
}
