using System.CommandLine;
using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.Provision.Cli;
using CardAp.Provision.Commands;
using CardAp.Shared.Domain;
using Grpc.Net.Client;

namespace CardAp.Provision.Cards;

/// <summary>
/// The checks that open every command on an issued or blank resident card, in the order
/// <see cref="CardSteps"/> keeps: the municipality's issuing key, the hub (which must hold that
/// key's public half), the card's rows at the hub, then the card in the reader read with the key.
/// Nothing is written until the caller has all of it.
/// </summary>
public sealed class ResidentCardWork : IDisposable
{
    private readonly GrpcChannel channel;

    private ResidentCardWork(IssuingKey key, GrpcChannel channel, HubCardRecords records, IReadOnlyList<HubRegistration> atHub, CardInReader inReader, CardContents contents)
    {
        Key = key;
        this.channel = channel;
        Records = records;
        AtHub = atHub;
        InReader = inReader;
        Contents = contents;
    }

    public IssuingKey Key { get; }

    public HubCardRecords Records { get; }

    /// <summary>The card's registrations at the hub before this command.</summary>
    public IReadOnlyList<HubRegistration> AtHub { get; }

    public CardInReader InReader { get; }

    /// <summary>What the card held before this command.</summary>
    public CardContents Contents { get; }

    public CardIssuer Issuer => new(Key);

    /// <param name="refuseRevoked">Whether a card number revoked at the hub stops the command (all but erasing services).</param>
    public static async Task<ResidentCardWork> OpenAsync(ParseResult result, HubOptions hub, ReaderOptions reader, DirectoryInfo keys,
        MunicipalityCode municipality, CardNumber card, bool refuseRevoked, CancellationToken cancellationToken)
    {
        var passphrase = CaCommands.Passphrase(result);
        var key = IssuingKeys.Open(keys, municipality, passphrase);
        GrpcChannel? channel = null;
        CardInReader? inReader = null;
        try
        {
            var (connected, admin) = hub.Connect(result, passphrase);
            channel = connected;
            var records = new HubCardRecords(admin, municipality, cancellationToken);
            await records.RequireIssuerKeyAsync(key.PublicKey);
            if (refuseRevoked)
            {
                await records.RefuseRevokedAsync(card);
            }
            var atHub = await records.RegistrationsAsync(card);
            inReader = reader.Open(result);
            var open = inReader;
            var contents = CardSteps.Check(open, () => CardContents.Read(open.Transport, key.PublicKey));
            contents.RequireMunicipality(municipality);
            return new ResidentCardWork(key, connected, records, atHub, inReader, contents);
        }
        catch
        {
            inReader?.Dispose();
            channel?.Dispose();
            key.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        InReader.Dispose();
        channel.Dispose();
        Key.Dispose();
    }
}
