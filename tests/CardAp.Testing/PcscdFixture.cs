using Xunit;
using CardAp.Card.Iso7816;
using CardAp.Card.Pcsc;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Vpcd;

namespace CardAp.Testing;

/// <summary>
/// The real pcscd with vpcd's two virtual readers. Tests start with <see cref="RequirePcscd"/>, which fails
/// (CARDAP_REQUIRE_PCSCD=1, as build.ps1 sets) or skips with the reason when pcscd is not usable, so no
/// test passes silently without it. Helpers put an <see cref="ISmartCard"/> into a slot and wait until
/// pcscd reports it.
/// </summary>
public sealed class PcscdFixture : IAsyncLifetime
{
    public const string CollectionName = "pcscd";

    /// <summary>Bound on every wait for pcscd to notice something; vpcd is polled every ~400 ms.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private string? _unavailableReason;

    public PcscReaders Readers { get; } = new();

    /// <summary>CARDAP_REQUIRE_PCSCD=1: a missing pcscd is a failure, not a skip.</summary>
    public static bool PcscdRequired => Environment.GetEnvironmentVariable("CARDAP_REQUIRE_PCSCD") == "1";

    /// <summary>CARDAP_PCSCD_OWNED=1: this run started pcscd, so tests may stop and restart it.</summary>
    public static bool PcscdOwned => Environment.GetEnvironmentVariable("CARDAP_PCSCD_OWNED") == "1";

    public bool IsAvailable => _unavailableReason is null;

    /// <summary>The vpcd reader name of a slot: "Virtual PCD 00 00", "Virtual PCD 00 01".</summary>
    public static string ReaderName(int slot) => $"Virtual PCD 00 {slot:D2}";

    public ValueTask InitializeAsync()
    {
        _unavailableReason = Probe();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Readers.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Call first in every pcscd test: fails or skips (naming why) when pcscd and vpcd are not usable.</summary>
    public void RequirePcscd()
    {
        if (_unavailableReason is null)
        {
            return;
        }
        if (PcscdRequired)
        {
            Assert.Fail($"pcscd is required (CARDAP_REQUIRE_PCSCD=1) but not usable: {_unavailableReason}");
        }
        Assert.Skip($"pcscd is not running: start it or run `dotnet pwsh build.ps1 test` ({_unavailableReason})");
    }

    /// <summary>
    /// Connects <paramref name="card"/> to vpcd slot <paramref name="slot"/> and waits until pcscd reports
    /// the card present. Dispose the returned bridge to remove the card.
    /// </summary>
    public async Task<VpcdBridge> InsertCardAsync(ISmartCard card, int slot, CancellationToken cancellationToken)
    {
        var reader = ReaderName(slot);
        // A card removed by the previous test may still be listed until pcscd's next poll.
        await WaitForCardAsync(reader, present: false, cancellationToken);
        var bridge = new VpcdBridge(card, slot);
        try
        {
            await bridge.InsertAsync(cancellationToken).WaitAsync(DefaultTimeout, cancellationToken);
            await WaitForCardAsync(reader, present: true, cancellationToken);
            return bridge;
        }
        catch
        {
            await bridge.DisposeAsync();
            throw;
        }
    }

    /// <summary>Removes the card of <paramref name="bridge"/> and waits until pcscd reports the reader empty.</summary>
    public async Task RemoveCardAsync(VpcdBridge bridge, int slot, CancellationToken cancellationToken)
    {
        await bridge.RemoveAsync();
        await WaitForCardAsync(ReaderName(slot), present: false, cancellationToken);
    }

    /// <summary>Polls the reader until a card is (or is not) present; throws <see cref="TimeoutException"/> after <see cref="DefaultTimeout"/>.</summary>
    public async Task<PcscReaderStatus> WaitForCardAsync(string reader, bool present, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        string last = "no answer yet";
        while (true)
        {
            try
            {
                var status = Readers.GetReaderState(reader);
                if (status.IsCardPresent == present)
                {
                    return status;
                }
                last = status.ToString();
            }
            catch (CardException ex)
            {
                // pcscd may be restarting; keep polling until the deadline.
                last = ex.Message;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{reader} did not become {(present ? "present" : "empty")} within {(timeout ?? DefaultTimeout).TotalSeconds} s; last state: {last}");
            }
            await Task.Delay(25, cancellationToken);
        }
    }

    private string? Probe()
    {
        if (!PcscReaders.IsServiceAvailable(out var error))
        {
            return error.Message;
        }
        try
        {
            var readers = Readers.ListReaders();
            var missing = new[] { ReaderName(0), ReaderName(1) }.Where(r => !readers.Contains(r)).ToArray();
            return missing.Length == 0
                ? null
                : $"pcscd runs but lacks the vpcd readers {string.Join(", ", missing)} (install vsmartcard-vpcd; readers found: {string.Join(", ", readers)})";
        }
        catch (CardException ex)
        {
            return ex.Message;
        }
    }
}
