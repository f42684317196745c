using CardAp.VirtualCard;
using CardAp.VirtualCard.Vpcd;

namespace CardAp.Provision.Tests.Cards;

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
