using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace CardAp.Sync.Hub;

/// <summary>
/// Where a snapshot continues: the sequence it is as of, the scope it was built for, and the last
/// (kind, key) read. The hub keeps no state between pages, so the token carries it all; it is
/// opaque to the terminal (base64url of JSON) and needs no secrecy, because every page is still
/// filtered by the caller's own municipality and scope.
/// </summary>
public sealed record SnapshotPageToken(long AsOfSeq, string Scope, string AfterKind, string AfterKey)
{
    private const int Version = 1;
    // A kind (64) and key (256) of characters JSON escapes as \uXXXX, base64-encoded, stay well under this.
    private const int MaxLength = 4096;

    public string Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Wire(Version, AsOfSeq, Scope, AfterKind, AfterKey), WireContext.Default.Wire);
        return Base64Url.EncodeToString(json);
    }

    /// <summary>The token, or null when the text is not one this code wrote.</summary>
    public static SnapshotPageToken? TryDecode(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            return null;
        }
        try
        {
            var wire = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(text), WireContext.Default.Wire);
            return wire is { V: Version, AsOf: >= 0, Scope.Length: > 0, Kind.Length: > 0, Key.Length: > 0 }
                ? new SnapshotPageToken(wire.AsOf, wire.Scope, wire.Kind, wire.Key)
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
            return null;
        }
    }

    internal sealed record Wire(int V, long AsOf, string Scope, string Kind, string Key);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(SnapshotPageToken.Wire))]
internal sealed partial class WireContext : System.Text.Json.Serialization.JsonSerializerContext;
