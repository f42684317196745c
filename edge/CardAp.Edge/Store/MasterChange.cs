using System.Text.Json.Nodes;

namespace CardAp.Edge.Store;

/// <summary>
/// One master data change from the hub: an upsert (<see cref="PayloadJson"/> holds a JSON object) or
/// a delete (tombstone: <see cref="PayloadJson"/> is null). <see cref="Version"/> is the hub's change
/// sequence; a change older than the stored row is ignored.
/// </summary>
public sealed record MasterChange(string Kind, string Key, string? PayloadJson, long Version)
{
    public bool IsDelete => PayloadJson is null;

    public static MasterChange Upsert(string kind, string key, JsonObject payload, long version)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return new(kind, key, payload.ToJsonString(StoreJson.Options), version);
    }

    public static MasterChange Upsert(string kind, string key, string payloadJson, long version)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        return new(kind, key, payloadJson, version);
    }

    public static MasterChange Delete(string kind, string key, long version) => new(kind, key, null, version);
}
