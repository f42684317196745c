using System.Globalization;
using CardAp.Card.Application;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;
using Grpc.Core;

namespace CardAp.Provision.Cards;

/// <summary>
/// The order every card command keeps: check everything (hub first, then the card) without
/// writing; write the card; write the hub. A failure is reported with what it left behind, and
/// running the same command again finishes the job (docs/provisioning.md, "Cards and operators").
/// </summary>
public static class CardSteps
{
    /// <summary>Reads or checks the card: a failure here changed nothing.</summary>
    public static T Check<T>(CardInReader card, Func<T> read) => OnCard(card, read, CardErrors.Stage.BeforeWriting);

    /// <summary>Writes the card: a failure here may leave it part-written, never the hub.</summary>
    public static T Write<T>(CardInReader card, Func<T> write) => OnCard(card, write, CardErrors.Stage.WritingCard);

    /// <inheritdoc cref="Write{T}(CardInReader, Func{T})"/>
    public static void Write(CardInReader card, Action write) => OnCard(card, () =>
    {
        write();
        return true;
    }, CardErrors.Stage.WritingCard);

    private static T OnCard<T>(CardInReader card, Func<T> work, CardErrors.Stage stage)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is not ProvisionException and not OperationCanceledException)
        {
            // A card pulled mid-exchange may surface as a garbled (e.g. empty) answer: ask the reader before blaming the card.
            if (e is Card.Iso7816.CardProtocolException && card.CardWentAway(TimeSpan.FromSeconds(2)))
            {
                throw CardErrors.Translate(new Card.Pcsc.PcscException("SCardTransmit", Card.Pcsc.PcscError.RemovedCard), stage);
            }
            throw CardErrors.Translate(e, stage);
        }
    }

    /// <summary>Brings the hub level with the card just written.</summary>
    public static async Task<T> HubAfterCardAsync<T>(Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (RpcException e)
        {
            throw CardErrors.HubAfterCard(e);
        }
    }

    public static CardNumber ParseCard(string? text, string option = "--card") =>
        TryParse(text, CardNumber.Parse) is { } card
            ? card
            : throw ProvisionException.Refused("BadCardNumber",
                $"{option} '{text}': a card number is 1 to {CardNumber.MaxLength} ASCII letters, digits and '-', e.g. C-000123.",
                $"{option} '{text}': カード番号は英数字と「-」で{CardNumber.MaxLength}文字以内です（例: C-000123）。");

    public static ServiceId ParseService(string? text) =>
        TryParse(text, ServiceId.Parse) is { } service
            ? service
            : throw ProvisionException.Refused("BadService",
                $"--service '{text}': a service id is 1 to {ServiceId.MaxLength} ASCII letters, digits and '-', e.g. library.",
                $"--service '{text}': サービスIDは英数字と「-」で{ServiceId.MaxLength}文字以内です（例: library）。");

    /// <summary>Parses "service=member" arguments, e.g. library=L-0001; a service named twice is refused.</summary>
    public static IReadOnlyList<(ServiceId Service, MemberNumber Member)> ParseServiceMembers(IEnumerable<string> values)
    {
        var result = new List<(ServiceId, MemberNumber)>();
        foreach (var value in values)
        {
            var at = value.IndexOf('=', StringComparison.Ordinal);
            var service = at > 0 ? TryParse(value[..at], ServiceId.Parse) : null;
            var member = at > 0 ? TryParse(value[(at + 1)..], MemberNumber.Parse) : null;
            if (service is null || member is null)
            {
                throw ProvisionException.Refused("BadService",
                    $"--service '{value}': give the service and the member number (利用者番号) as <service>=<member>, e.g. library=L-0001 (letters, digits and '-').",
                    $"--service '{value}': サービスと利用者番号を <サービス>=<利用者番号> の形で指定してください（例: library=L-0001）。");
            }
            if (result.Any(r => r.Item1 == service.Value))
            {
                throw ProvisionException.Refused("BadService", $"--service names {service} twice.", $"--service で {service} が2回指定されています。");
            }
            result.Add((service.Value, member.Value));
        }
        return result;
    }

    public static DateOnly? ParseDate(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }
        return DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw ProvisionException.Refused("BadDate", $"{option} '{text}' is not a date like 2031-03-31.", $"{option} '{text}' は日付（例: 2031-03-31）ではありません。");
    }

    /// <summary>
    /// The services the card should carry after adding <paramref name="requested"/> to <paramref name="current"/>.
    /// A service already on the card with the same member number stays as it is (a re-run); with
    /// another member number, or registered at the hub with another, it is refused: the clerk decides.
    /// </summary>
    public static IReadOnlyList<ServiceRegistration> WithServices(
        CardNumber card, IReadOnlyList<ServiceRegistration> current, IReadOnlyList<(ServiceId Service, MemberNumber Member)> requested,
        IReadOnlyList<HubRegistration> hub, DateOnly today)
    {
        var result = current.ToList();
        foreach (var (service, member) in requested)
        {
            if (hub.FirstOrDefault(h => h.Service == service) is { } atHub && atHub.Member != member)
            {
                throw ProvisionException.Refused("RegistrationConflict",
                    $"Card {card} is registered at the hub for {service} with member number {atHub.Member}, not {member}. Remove that registration first (`card remove-service`) if it is to change. Nothing was changed.",
                    $"カード {card} はハブでサービス {service} に利用者番号 {atHub.Member} で登録済みです（指定: {member}）。変更する場合は先に `card remove-service` で削除してください。変更は行われていません。");
            }
            if (result.FirstOrDefault(s => s.Service == service) is { } onCard)
            {
                if (onCard.Member != member)
                {
                    throw ProvisionException.Refused("ServiceOnCardDiffers",
                        $"Card {card} carries {service} with member number {onCard.Member}, not {member}. Remove it first (`card remove-service`) if it is to change. Nothing was changed.",
                        $"カード {card} にはサービス {service} が利用者番号 {onCard.Member} で書き込まれています（指定: {member}）。変更する場合は先に `card remove-service` で削除してください。変更は行われていません。");
                }
                continue;
            }
            if (result.Count == ServiceRegistration.MaxServices)
            {
                throw ProvisionException.Refused("CardFull",
                    $"Card {card} holds {ServiceRegistration.MaxServices} services already, the most a card holds. Remove one first. Nothing was changed.",
                    $"カード {card} には既に上限の{ServiceRegistration.MaxServices}サービスが登録されています。先にいずれかを削除してください。変更は行われていません。");
            }
            var registeredOn = hub.FirstOrDefault(h => h.Service == service)?.RegisteredOn ?? today;
            result.Add(new ServiceRegistration(service, member, ServiceStatus.Active, registeredOn));
        }
        return result;
    }

    /// <summary>
    /// The card's services as the next write starts from: what the card holds, or, when a cut-off
    /// write left its services file unreadable, the hub's registrations of the card (the hub is
    /// written after the card, so it holds every service the card held before the cut).
    /// </summary>
    public static IReadOnlyList<ServiceRegistration> CurrentServices(CardContents contents, IReadOnlyList<HubRegistration> hub) =>
        contents.Services ?? [.. hub.Select(h => h.ToCard())];

    public static bool SameServices(IReadOnlyList<ServiceRegistration>? a, IReadOnlyList<ServiceRegistration> b) =>
        a is not null && a.Count == b.Count && a.Zip(b).All(p => p.First == p.Second);

    private static T? TryParse<T>(string? text, Func<string, T> parse) where T : struct
    {
        if (text is null)
        {
            return null;
        }
        try
        {
            return parse(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
