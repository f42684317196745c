using System.Text.Json.Nodes;

namespace CardAp.Edge.Store;

/// <summary>
/// A transaction to record. <paramref name="Id"/> is the client's request id (1 to 64 printable
/// ASCII characters): recording the same id again returns the original receipt and writes nothing.
/// <paramref name="CardRef"/> is a card number or a JPKI certificate serial, never a My Number.
/// <paramref name="Item"/> is what the transaction is about (book id, shelter id, household...).
/// <paramref name="Amount"/> is a signed quantity such as points. Training records are kept but left
/// out of sums, counts and queries unless asked for. The payload must not hold PINs or passwords
/// (refused, see ADR 0004). Empty optional strings are stored as null. <paramref name="Offline"/>
/// says the hub was unreachable when the operation ran (the hub reports the offline share).
/// <paramref name="Confirm"/>: an online-only operation, not done until the hub accepts it (ADR 0011).
/// </summary>
public sealed record NewTransaction(
    string Id,
    DateTimeOffset LocalTime,
    string Service,
    string Operation,
    string? CardRef,
    string? Member,
    string? Operator,
    string? Item,
    long? Amount,
    bool Training,
    JsonObject? Payload = null,
    bool Offline = false,
    bool Confirm = false);
