using System.Security.Cryptography;
using CardAp.Card.Iso7816;
using CardAp.Card.Readers;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.InProcess;

namespace CardAp.Card.Tests.VirtualCard;

public sealed class InProcessCardReadersTests
{
    private const string Reader0 = "CardAp Virtual Reader 0";
    private const string Reader1 = "CardAp Virtual Reader 1";

    private static VirtualSmartCard EmptyCard() => new();

    [Fact]
    public void Readers_are_named_slots()
    {
        Assert.Equal([Reader0], new InProcessCardReaders().ListReaders());
        var readers = new InProcessCardReaders(Reader0, Reader1);
        Assert.Equal([Reader0, Reader1], readers.ListReaders());
        Assert.Equal(Reader1, InProcessCardReaders.ReaderName(1));
        Assert.Throws<ArgumentException>(() => readers.AddReader(Reader1));
    }

    [Fact]
    public void Connect_reaches_the_inserted_card()
    {
        var readers = new InProcessCardReaders();
        var card = EmptyCard();
        readers.Insert(Reader0, card);
        using var connection = readers.Connect(Reader0);
        Assert.Equal(Reader0, connection.ReaderName);
        Assert.Equal(card.Atr, connection.Atr);
        Assert.Equal(CardProtocol.T1, connection.Protocol);
        Assert.Equal("6A82", Convert.ToHexString(connection.Transmit(Convert.FromHexString("00A4040C05F000000001"))));
        Assert.Same(card, readers.CardIn(Reader0));
    }

    [Fact]
    public void Empty_or_unknown_readers_and_double_insertion_are_errors()
    {
        var readers = new InProcessCardReaders();
        Assert.Throws<CardException>(() => readers.Connect(Reader0));
        Assert.Throws<CardException>(() => readers.Connect("no such reader"));
        Assert.Throws<CardException>(() => readers.Insert("no such reader", EmptyCard()));
        readers.Insert(Reader0, EmptyCard());
        Assert.Throws<InvalidOperationException>(() => readers.Insert(Reader0, EmptyCard()));
        Assert.Null(new InProcessCardReaders().Remove(Reader0));
    }

    [Fact]
    public void Transmit_after_removal_throws_a_card_exception_even_if_another_card_is_inserted()
    {
        var readers = new InProcessCardReaders();
        readers.Insert(Reader0, EmptyCard());
        var connection = readers.Connect(Reader0);
        readers.Remove(Reader0);
        var error = Assert.Throws<VirtualCardRemovedException>(() => connection.Transmit([0x00, 0xB0, 0x00, 0x00, 0x00]));
        Assert.IsAssignableFrom<CardException>(error);

        readers.Insert(Reader0, EmptyCard());
        Assert.Throws<VirtualCardRemovedException>(() => connection.Transmit([0x00, 0xB0, 0x00, 0x00, 0x00]));
        using var fresh = readers.Connect(Reader0);
        Assert.Equal(2, fresh.Transmit([0x00, 0xB0, 0x00, 0x00, 0x00]).Length);
        connection.Dispose();
        Assert.Throws<ObjectDisposedException>(() => connection.Transmit([0x00, 0xB0, 0x00, 0x00, 0x00]));
    }

    [Fact]
    public void Insertion_powers_the_card_up()
    {
        var readers = new InProcessCardReaders();
        var card = EmptyCard();
        using var issuer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        card.Install(new CardApApplet(issuer.ExportParameters(false), "1234"));
        card.Process(Convert.FromHexString("00A4040C07F0434152444150"));
        Assert.NotNull(card.SelectedApplet);
        readers.Insert(Reader0, card);
        Assert.Null(card.SelectedApplet);
    }

    [Fact]
    public async Task Watch_reports_the_current_state_then_every_change()
    {
        var readers = new InProcessCardReaders(Reader0, Reader1);
        var card = EmptyCard();
        readers.Insert(Reader1, card);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancellation.CancelAfter(TimeSpan.FromSeconds(10));
        await using var events = readers.WatchAsync(cancellation.Token).GetAsyncEnumerator(cancellation.Token);

        async Task<ReaderEvent> Next()
        {
            Assert.True(await events.MoveNextAsync());
            return events.Current;
        }

        Assert.Equal((ReaderEventKind.ReaderAdded, Reader0), Describe(await Next()));
        Assert.Equal((ReaderEventKind.ReaderAdded, Reader1), Describe(await Next()));
        var inserted = await Next();
        Assert.Equal((ReaderEventKind.CardInserted, Reader1), Describe(inserted));
        Assert.Equal(card.Atr, inserted.Atr);

        readers.Remove(Reader1);
        Assert.Equal((ReaderEventKind.CardRemoved, Reader1), Describe(await Next()));
        readers.Insert(Reader0, card);
        Assert.Equal((ReaderEventKind.CardInserted, Reader0), Describe(await Next()));
        readers.AddReader("Reader 2");
        Assert.Equal((ReaderEventKind.ReaderAdded, "Reader 2"), Describe(await Next()));
        readers.RemoveReader(Reader0);
        Assert.Equal((ReaderEventKind.CardRemoved, Reader0), Describe(await Next()));
        Assert.Equal((ReaderEventKind.ReaderRemoved, Reader0), Describe(await Next()));

        // Cancelling ends the sequence instead of throwing, as the PC/SC backend does.
        var pending = events.MoveNextAsync();
        await cancellation.CancelAsync();
        Assert.False(await pending);
    }

    [Fact]
    public async Task Each_watcher_gets_every_event()
    {
        var readers = new InProcessCardReaders();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancellation.CancelAfter(TimeSpan.FromSeconds(10));
        await using var first = readers.WatchAsync(cancellation.Token).GetAsyncEnumerator(cancellation.Token);
        await using var second = readers.WatchAsync(cancellation.Token).GetAsyncEnumerator(cancellation.Token);
        Assert.True(await first.MoveNextAsync());
        Assert.True(await second.MoveNextAsync());

        readers.Insert(Reader0, EmptyCard());
        Assert.True(await first.MoveNextAsync());
        Assert.True(await second.MoveNextAsync());
        Assert.Equal(ReaderEventKind.CardInserted, first.Current.Kind);
        Assert.Equal(ReaderEventKind.CardInserted, second.Current.Kind);
    }

    private static (ReaderEventKind, string) Describe(ReaderEvent e) => (e.Kind, e.ReaderName);
}
