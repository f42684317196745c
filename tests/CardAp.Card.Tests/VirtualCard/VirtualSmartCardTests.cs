using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Tests.VirtualCard.Support;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Jpki;
using CardAp.VirtualCard.State;
using static CardAp.Card.Tests.VirtualCard.Support.ResponseAssert;

namespace CardAp.Card.Tests.VirtualCard;

/// <summary>The card around the applets: ATR, SELECT by AID, class and instruction checks, robustness.</summary>
public sealed class VirtualSmartCardTests : IDisposable
{
    private readonly CardApCard _card;

    public VirtualSmartCardTests(TestKeys keys) => _card = new CardApCard(keys.IssueJpki().Applet);

    private Terminal Terminal => _card.Terminal;

    [Fact]
    public void The_atr_is_the_one_opensc_knows_as_jpki()
    {
        Assert.Equal("3BE000FF8131FE4514", Convert.ToHexString(_card.Card.Atr));
    }

    [Theory]
    [InlineData("D3921000310001010408")] // 券面事項入力補助: not held
    [InlineData("D3921000310001010402")] // 券面事項確認: not held
    [InlineData("A000000527210101")] // someone else's applet, as OpenSC's drivers probe
    [InlineData("F0434152444150FF")] // a longer AID with ours as prefix: no partial match
    [InlineData("F04341524441")] // a prefix of ours
    public void Unknown_aids_answer_6a82_and_keep_the_selection(string aid)
    {
        _card.Select();
        Success(_card.Authenticate());
        Status(0x6A82, Terminal.Raw($"00A4040C{aid.Length / 2:X2}{aid}"));
        Assert.Same(_card.Applet, _card.Card.SelectedApplet);
        Assert.True(_card.Applet.IsIssuerAuthenticated);
    }

    [Fact]
    public void Selecting_another_applet_clears_the_previous_ones_security_state()
    {
        _card.Select();
        Success(_card.Authenticate());
        Success(Terminal.Send("00A4040C0A" + Convert.ToHexString(JpkiFiles.Aid)));
        Assert.IsType<JpkiApplet>(_card.Card.SelectedApplet);
        _card.Select();
        Status(0x6982, Terminal.Raw("00D6810001E1"));
    }

    [Fact]
    public void Select_with_p2_00_and_le_returns_the_fci()
    {
        var fci = Success(Terminal.Send("00A4040007" + Convert.ToHexString(CardApSpec.Aid) + "00"));
        Assert.Equal("6F098407" + Convert.ToHexString(CardApSpec.Aid), Convert.ToHexString(fci));
        Assert.Empty(Success(Terminal.Send("00A4040007" + Convert.ToHexString(CardApSpec.Aid))));
        Status(0x6A86, Terminal.Raw("00A4040407" + Convert.ToHexString(CardApSpec.Aid)));
        Status(0x6A82, Terminal.Raw("00A4040C"));
    }

    [Theory]
    [InlineData("00B0810000", 0x6985)] // READ BINARY before any applet
    [InlineData("00A4020C020101", 0x6A82)] // SELECT EF before any applet
    [InlineData("0050000000", 0x6D00)] // unknown instruction
    public void Without_a_selected_applet(string apdu, int expected) => Status((ushort)expected, Terminal.Raw(apdu));

    [Theory]
    [InlineData("0050000000", 0x6D00)] // unknown instruction
    [InlineData("00C0000000", 0x6D00)] // GET RESPONSE: the card never answers 61xx
    [InlineData("04B0810000", 0x6E00)] // secure messaging bits
    [InlineData("01B0810000", 0x6E00)] // logical channel 1
    [InlineData("10B0810000", 0x6E00)] // command chaining
    [InlineData("FFB0810000", 0x6E00)] // invalid class
    [InlineData("80B0810000", 0x6E00)] // proprietary class: not for the CardAp applet
    [InlineData("00", 0x6700)] // shorter than a header
    [InlineData("00B081", 0x6700)]
    [InlineData("00D681000301", 0x6700)] // Lc says 3, 1 follows
    [InlineData("00D6810000010203", 0x6700)] // extended length
    public void Malformed_or_unsupported_commands_get_a_status_word(string apdu, int expected)
    {
        _card.Select();
        Status((ushort)expected, Terminal.Raw(apdu));
    }

    [Fact]
    public void Random_bytes_never_throw_and_always_end_in_a_status_word()
    {
        var random = new Random(7816);
        var prefixes = new byte[][] { [], [0x00, 0xA4, 0x04, 0x0C], [0x00, 0xB0], [0x80, 0x2A, 0x00, 0x80], [0x00, 0x20, 0x00], [0x00, 0x88, 0x00, 0x00] };
        foreach (var aid in new[] { CardApSpec.Aid, JpkiFiles.Aid })
        {
            _card.Card.Process([0x00, 0xA4, 0x04, 0x0C, (byte)aid.Length, .. aid]);
            for (var i = 0; i < 3000; i++)
            {
                var prefix = prefixes[random.Next(prefixes.Length)];
                var tail = new byte[random.Next(0, 300)];
                random.NextBytes(tail);
                byte[] command = [.. prefix, .. tail];
                var response = _card.Card.Process(command);
                Assert.InRange(response.Length, 2, 258);
                Assert.NotEqual(0x6F00, response[^2] << 8 | response[^1]);
            }
        }
    }

    [Fact]
    public void A_faulty_applet_answers_6f00_instead_of_throwing()
    {
        var card = new VirtualSmartCard(new ThrowingApplet());
        Success(ResponseApdu.Parse(card.Process(Terminal.Hex("00A4040C05F000000001"))));
        Status(0x6F00, ResponseApdu.Parse(card.Process(Terminal.Hex("00B0000000"))));
    }

    [Fact]
    public void Two_applets_with_one_aid_are_refused()
    {
        Assert.Throws<ArgumentException>(() => _card.Card.Install(new CardApApplet(_card.IssuerKey.ExportParameters(false), "1234")));
        Assert.Throws<InvalidOperationException>(() => new VirtualSmartCard().GetApplet<JpkiApplet>());
    }

    [Fact]
    public void Persistent_state_changes_and_apdus_are_reported()
    {
        var exchanges = new List<ApduExchangedEventArgs>();
        var changes = 0;
        _card.Card.ApduExchanged += (_, e) => exchanges.Add(e);
        _card.Card.PersistentStateChanged += (_, _) => changes++;

        _card.Select();
        Terminal.Raw("00B0810000");
        Terminal.Raw("00200081");
        Assert.Equal(0, changes);

        Terminal.Raw("002000810430303030");
        Assert.Equal(1, changes);
        Success(_card.Authenticate());
        Success(Terminal.Send("00D6810001E1"));
        Assert.Equal(2, changes);

        Assert.Equal(7, exchanges.Count);
        Assert.Equal("00D6810001E1", Convert.ToHexString(exchanges[^1].Command));
        Assert.Equal("9000", Convert.ToHexString(exchanges[^1].Response));
    }

    [Fact]
    public void Commands_from_many_threads_are_serialised()
    {
        _card.Applet.Personalize(CardApSpec.HeaderFid, CardApCard.Header());
        var header = _card.Applet.Header.Content.ToArray();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 200; i++)
            {
                _card.Card.Process(Terminal.Hex("00A4040C07" + Convert.ToHexString(CardApSpec.Aid)));
                var response = ResponseApdu.Parse(_card.Card.Process(Terminal.Hex("00B0810000")));
                // Another thread may reselect between our two commands, but never mid-command.
                Assert.True(response.Status.IsSuccess || response.Status.Value == 0x6986);
                if (response.Status.IsSuccess)
                {
                    Assert.Equal(header, response.Data.ToArray());
                }
            }
        });
    }

    public void Dispose() => _card.Dispose();

    private sealed class ThrowingApplet : IApplet
    {
        public ReadOnlyMemory<byte> Aid => new byte[] { 0xF0, 0x00, 0x00, 0x00, 0x01 };
        public string Name => "faulty";
        public long PersistentStateVersion => 0;
        public void Select()
        {
        }

        public void Deselect()
        {
        }

        public void Reset()
        {
        }

        public ResponseApdu Process(CommandApdu command) => throw new InvalidOperationException("bug");

        public AppletState ExportState() => throw new NotSupportedException();
    }
}
