using System.CommandLine;
using CardAp.Card.Iso7816;
using CardAp.Card.Pcsc;
using CardAp.Card.Readers;

namespace CardAp.Provision.Cli;

/// <summary>
/// Which reader holds the card a command writes: --reader, or CARDAP_READER, or else the one
/// reader that has a card in it. On PC/SC (the tool's readers) the card is connected exclusively
/// (no other program can send it commands halfway through a write) and reset when the command
/// ends, so the issuer's authentication never outlives the command. A host that runs the tool
/// in-process may give its own readers instead (the demo's virtual issuing desk).
/// </summary>
public sealed class ReaderOptions(ICardReaders? readers = null)
{
    public const string ReaderVariable = "CARDAP_READER";

    public Option<string?> Reader { get; } = new("--reader")
    {
        Description = $"The PC/SC reader holding the card, e.g. \"Virtual PCD 00 00\" (or {ReaderVariable}). Without it: the one reader with a card in it.",
    };

    /// <summary>Connects to the card; every reader problem becomes an exit-3 <see cref="ProvisionException"/> saying what to do.</summary>
    public CardInReader Open(ParseResult result)
    {
        var named = result.GetValue(Reader) ?? Environment.GetEnvironmentVariable(ReaderVariable);
        named = string.IsNullOrWhiteSpace(named) ? null : named;
        return readers is null ? OpenPcsc(named) : OpenGiven(readers, named);
    }

    private static CardInReader OpenPcsc(string? named)
    {
        var pcsc = new PcscReaders();
        try
        {
            var name = Choose([.. pcsc.GetReaderStates().Select(s => (s.ReaderName, s.IsCardPresent))], named);
            PcscCardConnection connection;
            try
            {
                connection = pcsc.Connect(name, PcscShareMode.Exclusive);
            }
            catch (PcscException e) when (e.Error is PcscError.NoSmartCard or PcscError.RemovedCard or PcscError.UnpoweredCard or PcscError.UnresponsiveCard)
            {
                throw NoCard(name, e);
            }
            catch (PcscException e) when (e.Error == PcscError.SharingViolation)
            {
                throw ProvisionException.Environment("ReaderBusy",
                    $"Another program is using the card in \"{name}\". Close it (or stop the terminal software on this machine) and run the command again. Nothing was changed.",
                    $"「{name}」のカードを別のプログラムが使用中です。そのプログラムを終了してから再実行してください。変更は行われていません。", e);
            }
            return new CardInReader(connection,
                cardPresent: () =>
                {
                    connection.Status();
                    return pcsc.GetReaderState(name).IsCardPresent;
                },
                release: () =>
                {
                    try
                    {
                        connection.Disconnect(PcscDisposition.Reset);
                    }
                    catch (CardException)
                    {
                        // The card or pcscd went away: nothing is left to reset.
                    }
                    connection.Dispose();
                    pcsc.Dispose();
                });
        }
        catch (Exception e) when (e is not ProvisionException)
        {
            pcsc.Dispose();
            throw CardErrors.Translate(e, CardErrors.Stage.BeforeWriting);
        }
        catch
        {
            pcsc.Dispose();
            throw;
        }
    }

    private static CardInReader OpenGiven(ICardReaders given, string? named)
    {
        try
        {
            var name = Choose([.. given.ListReaders().Select(n => (n, HasCard(given, n)))], named);
            ICardConnection connection;
            try
            {
                connection = given.Connect(name);
            }
            catch (CardException e)
            {
                throw NoCard(name, e);
            }
            return new CardInReader(connection, () => HasCard(given, name), connection.Dispose);
        }
        catch (Exception e) when (e is not ProvisionException)
        {
            throw CardErrors.Translate(e, CardErrors.Stage.BeforeWriting);
        }
    }

    private static bool HasCard(ICardReaders given, string name)
    {
        try
        {
            using var probe = given.Connect(name);
            return true;
        }
        catch (CardException)
        {
            return false;
        }
    }

    private static string Choose(IReadOnlyList<(string ReaderName, bool IsCardPresent)> states, string? named)
    {
        if (states.Count == 0)
        {
            throw ProvisionException.Environment("NoReader",
                "No card reader is attached (PC/SC lists none). Connect the reader, check that pcscd (or the Smart Card service) runs, and run the command again. Nothing was changed.",
                "カードリーダーが接続されていません。リーダーを接続し、pcscd（またはスマートカードサービス）が動作していることを確認して再実行してください。変更は行われていません。");
        }
        if (named is not null)
        {
            if (states.All(s => s.ReaderName != named))
            {
                var known = string.Join(", ", states.Select(s => $"\"{s.ReaderName}\""));
                throw ProvisionException.Environment("UnknownReader",
                    $"There is no reader \"{named}\"; the readers are: {known}. Give one of them with --reader. Nothing was changed.",
                    $"リーダー「{named}」はありません。接続中のリーダー: {known}。--reader でいずれかを指定してください。変更は行われていません。");
            }
            return named;
        }
        var withCard = states.Where(s => s.IsCardPresent).ToList();
        return withCard.Count switch
        {
            1 => withCard[0].ReaderName,
            0 => throw NoCard(string.Join(", ", states.Select(s => s.ReaderName)), null),
            _ => throw ProvisionException.Refused("SeveralCards",
                $"Several readers hold a card ({string.Join(", ", withCard.Select(s => $"\"{s.ReaderName}\""))}); say which one with --reader. Nothing was changed.",
                $"複数のリーダーにカードがあります（{string.Join("、", withCard.Select(s => $"「{s.ReaderName}」"))}）。--reader で指定してください。変更は行われていません。"),
        };
    }

    private static ProvisionException NoCard(string reader, Exception? inner) =>
        ProvisionException.Environment("NoCard",
            $"There is no card in {reader}. Put the card in the reader (chip first, face up) and run the command again. Nothing was changed.",
            $"{reader} にカードがありません。カードをリーダーに挿入してから再実行してください。変更は行われていません。", inner);
}

/// <summary>A card connected in a reader for one command; disposing releases it (on PC/SC also resetting it, which clears the issuer's authentication).</summary>
public sealed class CardInReader(ICardConnection connection, Func<bool> cardPresent, Action release) : IDisposable
{
    public string ReaderName => connection.ReaderName;

    public IApduTransport Transport => connection;

    /// <summary>
    /// After a failed exchange: whether the card (or the reader) went away, waiting up to
    /// <paramref name="patience"/> for the reader to notice (vpcd and many readers poll presence).
    /// Some drivers answer a pulled card with an empty response instead of an error.
    /// </summary>
    public bool CardWentAway(TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                if (!cardPresent())
                {
                    return true;
                }
            }
            catch (CardException)
            {
                return true;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }
            Thread.Sleep(50);
        }
    }

    public void Dispose() => release();
}
