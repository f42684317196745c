using System.Text.Encodings.Web;
using System.Text.Json;

namespace CardAp.Edge.Store;

/// <summary>
/// The JSON conventions of the store: camelCase, case-insensitive reading (web defaults), compact
/// text with Japanese left readable rather than \u-escaped.
/// </summary>
public static class StoreJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
