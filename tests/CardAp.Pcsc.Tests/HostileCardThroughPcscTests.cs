using CardAp.Card.Iso7816;
using CardAp.Card.Verification;
using CardAp.VirtualCard.Faults;

namespace CardAp.Pcsc.Tests;

/// <summary>
/// A lying card behind the real PC/SC stack: pcscd and vpcd see the same truncated, oversized
/// and random answers; our layer must turn every one into a refusal or a typed card error.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class HostileCardThroughPcscTests(PcscdFixture pcscd, MunicipalityFixture town) : IClassFixture<MunicipalityFixture>
{
    [Fact]
    public async Task Random_answers_through_pcscd_give_refusals_never_crashes()
    {
        pcscd.RequirePcscd();
        var cancel = TestContext.Current.CancellationToken;
        var (genuine, jpki) = town.Resident();
        var hostile = new HostileCard(genuine, new Random(2611), lieRate: 0.2);
        var verifier = town.Verifier(linkedSerial: jpki.SerialNumber);
        var reasons = new Dictionary<string, int>();

        var bridge = await pcscd.InsertCardAsync(hostile, 0, cancel);
        try
        {
            for (var i = 0; i < 300; i++)
            {
                IdentificationResult result;
                try
                {
                    using var connection = pcscd.Readers.Connect(PcscdFixture.ReaderName(0));
                    result = i % 2 == 0 ? verifier.IdentifyCardAp(connection, "1234") : verifier.IdentifyJpki(connection);
                }
                catch (CardException e)
                {
                    // Connect itself may fail while pcscd recovers from an answer it could not use: typed, named, fine.
                    reasons["connect: " + e.GetType().Name] = reasons.GetValueOrDefault("connect: " + e.GetType().Name) + 1;
                    await pcscd.WaitForCardAsync(PcscdFixture.ReaderName(0), present: true, cancel);
                    continue;
                }
                var key = result.IsIdentified ? "identified" : result.Refusal!.Reason.ToString();
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
                genuine.Reset();
            }
        }
        finally
        {
            await pcscd.RemoveCardAsync(bridge, 0, cancel);
            await bridge.DisposeAsync();
        }

        var summary = string.Join(", ", reasons.Select(r => $"{r.Key}={r.Value}"));
        Assert.True(reasons.GetValueOrDefault("Unreadable") + reasons.GetValueOrDefault("ReaderError") > 50, summary);
        Assert.True(reasons.GetValueOrDefault("identified") > 0, summary);
        TestContext.Current.SendDiagnosticMessage("hostile card through pcscd: " + summary);
    }
}
