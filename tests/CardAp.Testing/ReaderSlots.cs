using CardAp.Card.Application;
using CardAp.Card.Verification;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Vpcd;
using Xunit;

namespace CardAp.Testing;

/// <summary>Puts virtual cards into vpcd's two readers for one test and takes them out again at the end.</summary>
public sealed class ReaderSlots(PcscdFixture pcscd) : IAsyncDisposable
{
    private readonly Dictionary<int, VpcdBridge> _bridges = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static string Reader(int slot) => PcscdFixture.ReaderName(slot);

    public async Task<VpcdBridge> InsertAsync(ISmartCard card, int slot = 0)
    {
        await RemoveAsync(slot);
        var bridge = await pcscd.InsertCardAsync(card, slot, Cancel);
        _bridges[slot] = bridge;
        return bridge;
    }

    public async Task RemoveAsync(int slot = 0)
    {
        if (_bridges.Remove(slot, out var bridge))
        {
            await pcscd.RemoveCardAsync(bridge, slot, Cancel);
            await bridge.DisposeAsync();
        }
    }

    /// <summary>Identifies the card in the reader as a terminal does, through pcscd, with the card layer.</summary>
    public IdentificationResult Identify(IssuerPublicKey issuer, int slot = 0, string? pin = null)
    {
        using var connection = pcscd.Readers.Connect(Reader(slot));
        return new CardVerifier(new TrustStore([issuer]), TimeProvider.System).IdentifyCardAp(connection, pin);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var slot in _bridges.Keys.ToList())
        {
            await RemoveAsync(slot);
        }
    }
}
