using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Verification;
using CardAp.Card.Tests.Verification;
using CardAp.Shared.Domain;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Faults;
using CardAp.VirtualCard.Issuance;

namespace CardAp.Card.Tests.Hostile;

/// <summary>
/// Thousands of lying answers must never escape as anything but a refusal with a reason (or,
/// at the APDU level, a <see cref="CardException"/>): the reader layer may not crash on a card.
/// </summary>
public sealed class HostileCardTests(JpkiFixture jpki) : IClassFixture<JpkiFixture>, IDisposable
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private readonly IssuingKey _key = IssuingKey.Create(new IssuerReference(Chiyoda, 1));

    public void Dispose() => _key.Dispose();

    private VirtualSmartCard GenuineCard()
    {
        var issued = jpki.Authority.IssueCard(authenticationPin: "1234", authenticationKey: jpki.CardKey);
        return VirtualCards.Issue(_key,
            new CardHeader(Chiyoda, CardNumber.Parse("C-1"), new DateOnly(2026, 4, 1), new DateOnly(2031, 3, 31)), "1234",
            [new(ServiceId.Parse("library"), MemberNumber.Parse("L1"), ServiceStatus.Active, new DateOnly(2026, 4, 1))],
            issued.Applet);
    }

    // A high lie rate breaks the first APDUs; a low one lets corrupt data reach the crypto checks.
    [Theory]
    [InlineData(0.75)]
    [InlineData(0.08)]
    public void Random_answers_give_refusals_with_reasons_never_exceptions(double lieRate)
    {
        var genuine = GenuineCard();
        var verifier = new CardVerifier(new TrustStore([_key.PublicKey], [jpki.Authority.CaCertificate]), TimeProvider.System);
        var random = new Random(7_2026);
        var hostile = new HostileCard(genuine, random, lieRate);
        var reasons = new Dictionary<string, int>();

        for (var i = 0; i < 3000; i++)
        {
            // Genuine PINs only: a wrong one would merely block the card and end the exploration early.
            var result = (i % 3) switch
            {
                0 => verifier.IdentifyCardAp(new SmartCardTransport(hostile), i % 2 == 0 ? "1234" : null),
                1 => verifier.IdentifyJpki(new SmartCardTransport(hostile), i % 2 == 0 ? "1234" : null),
                _ => verifier.Identify(new SmartCardTransport(hostile)),
            };
            var key = result.IsIdentified ? "identified" : result.Refusal!.Reason.ToString();
            reasons[key] = reasons.GetValueOrDefault(key) + 1;
            if (!result.IsIdentified)
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Refusal!.Detail));
                Assert.False(string.IsNullOrWhiteSpace(result.Refusal.MessageJa));
            }
            genuine.Reset();
        }

        // The exploration must have reached both outcomes, or it proved nothing.
        Assert.True(reasons.GetValueOrDefault("Unreadable") > 50, string.Join(", ", reasons));
        Assert.True(reasons.GetValueOrDefault("identified") > 0, string.Join(", ", reasons));
        Assert.DoesNotContain("PinBlocked", reasons.Keys);
    }

    [Fact]
    public void Pure_noise_at_the_apdu_level_raises_only_card_exceptions()
    {
        var random = new Random(11);
        var noise = new NoiseTransport(random);
        var channel = new ApduChannel(noise);
        var typed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            try
            {
                channel.Transmit(new CommandApdu(0x00, Ins.ReadBinary, 0x81, 0x00, ne: 256));
            }
            catch (CardException)
            {
                typed++;
            }
        }
        Assert.True(typed > 1000, $"{typed} typed errors");
    }

    private sealed class NoiseTransport(Random random) : Card.Readers.IApduTransport
    {
        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            return bytes;
        }
    }
}
