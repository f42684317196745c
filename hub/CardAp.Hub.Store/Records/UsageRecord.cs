using CardAp.Shared.Domain;

namespace CardAp.Hub.Store.Records;

/// <summary>What happened to one operation at a terminal.</summary>
public enum UsageOutcome
{
    /// <summary>Done and recorded by the terminal.</summary>
    Done,

    /// <summary>Refused, with the reason the terminal gave (e.g. "CardSuspended", "OutsideHours").</summary>
    Refused,
}

/// <summary>
/// One operation as a terminal uploads it: identified by the terminal's own stream and gap-free
/// sequence, so an upload retried after an outage is stored once. <see cref="OccurredAt"/> is the
/// terminal's clock; the report day and hour are its Japan-time day and hour. Carries no card
/// number, member number or My Number: reports need none.
/// </summary>
public sealed record UsageRecord(
    MunicipalityCode Municipality,
    string Terminal,
    string Stream,
    long Seq,
    string Site,
    DateTimeOffset OccurredAt,
    string Service,
    string Operation,
    UsageOutcome Outcome,
    string? Reason,
    bool Offline,
    bool Training);
