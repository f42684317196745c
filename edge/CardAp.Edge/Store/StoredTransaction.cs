using System.Text.Json;
using System.Text.Json.Nodes;

namespace CardAp.Edge.Store;

/// <summary>
/// A recorded transaction as stored; <see cref="PayloadJson"/> is the stored JSON text.
/// <see cref="Confirm"/>: it waits for (or got) the hub's decision (<see cref="LocalRecords.Decision"/>).
/// </summary>
public sealed record StoredTransaction(
    long Seq,
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
    string PayloadJson,
    long? AuditSeq,
    bool Offline,
    bool Confirm = false)
{
    /// <summary>Parses the payload (a new object on each call).</summary>
    public JsonObject ParsePayload() => JsonNode.Parse(PayloadJson)?.AsObject() ?? [];

    /// <summary>Deserialises the payload (camelCase).</summary>
    public T? PayloadAs<T>() => JsonSerializer.Deserialize<T>(PayloadJson, StoreJson.Options);
}
