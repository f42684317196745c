using CardAp.Card.Iso7816;
using CardAp.Card.Readers;
using CardAp.Card.Verification;
using CardAp.Edge.Errors;
using CardAp.Edge.Trust;
using Grpc.Core;

namespace CardAp.Edge.Services;

/// <summary>Reads a card in a named reader and identifies it offline; refusals become clerk-readable errors.</summary>
public sealed class CardIdentification(ICardReaders readers, TrustStoreProvider trust)
{
    public CardIdentity IdentifyResident(string reader, string? pin, IdentificationMethod? method = null)
    {
        var result = Identify(reader, pin, method);
        return result.Identity ?? throw Refusal(result.Refusal!);
    }

    public IdentificationResult Identify(string reader, string? pin, IdentificationMethod? method = null)
    {
        if (string.IsNullOrEmpty(reader))
        {
            throw EdgeRefusal.InvalidField("reader", "name the reader that holds the card.", "カードが入っているリーダーを指定してください。");
        }
        ICardConnection connection;
        try
        {
            connection = readers.Connect(reader);
        }
        catch (CardException e)
        {
            throw new EdgeRefusal(StatusCode.FailedPrecondition, "NoCard",
                $"No card could be read in {reader}. Please insert the card and try again. ({e.Message})",
                $"{reader}のカードを読み取れません。カードを挿入して再度お試しください。");
        }
        using (connection)
        {
            var verifier = trust.Verifier;
            return method switch
            {
                IdentificationMethod.CardAp => verifier.IdentifyCardAp(connection, pin),
                IdentificationMethod.JpkiLink => verifier.IdentifyJpki(connection, pin),
                _ => verifier.Identify(connection, pin),
            };
        }
    }

    public static EdgeRefusal Refusal(Refusal refusal)
    {
        var code = refusal.Reason switch
        {
            RefusalReason.PinWrong or RefusalReason.PinBlocked => StatusCode.Unauthenticated,
            RefusalReason.ReaderError => StatusCode.Unavailable,
            _ => StatusCode.FailedPrecondition,
        };
        return new EdgeRefusal(code, refusal.Reason.ToString(), refusal.MessageEn, refusal.MessageJa);
    }
}
