using CardAp.Card.Application;
using CardAp.Card.Verification;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Vpcd;

namespace CardAp.Provision.Tests.Cards;

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

/// <summary>
/// A card that leaves the reader in the middle of a command: when <paramref name="cutBefore"/>
/// picks a command, the vpcd connection is closed before the card sees it, as when a clerk pulls
/// the card or the reader's cable comes out.
/// </summary>
public sealed class CardPulledMidway(ISmartCard card, Func<byte[], bool> cutBefore) : ISmartCard
{
    public VpcdBridge? Bridge { get; set; }

    public bool WasPulled { get; private set; }

    public byte[] Atr => card.Atr;

    public void Reset() => card.Reset();

    public byte[] Process(ReadOnlySpan<byte> command)
    {
        if (!WasPulled && Bridge is { } bridge && cutBefore(command.ToArray()))
        {
            WasPulled = true;
            _ = Task.Run(bridge.RemoveAsync);
            SpinWait.SpinUntil(() => !bridge.IsInserted, TimeSpan.FromSeconds(5));
            return [0x6F, 0x00];
        }
        return card.Process(command);
    }
}

/// <summary>A card that lets the test act on what the terminal sends it, before the card answers.</summary>
public sealed class CardWatched(ISmartCard card, Action<byte[]> before) : ISmartCard
{
    public byte[] Atr => card.Atr;

    public void Reset() => card.Reset();

    public byte[] Process(ReadOnlySpan<byte> command)
    {
        before(command.ToArray());
        return card.Process(command);
    }
}
