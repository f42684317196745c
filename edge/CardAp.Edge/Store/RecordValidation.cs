using System.Globalization;
using System.Text.Json.Nodes;

namespace CardAp.Edge.Store;

/// <summary>
/// Checks what goes into the records before a transaction starts: lengths, request id characters,
/// JSON size, and that no JSON property can carry a secret (PINs are never stored).
/// </summary>
internal static class RecordValidation
{
    public const int MaxIdLength = 64;
    public const int MaxNameLength = 64;
    public const int MaxReferenceLength = 256;
    public const int MaxJsonLength = 64 * 1024;

    public static string Required(string? value, string field, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"{field} is required.", field);
        }
        if (value.Length > maxLength)
        {
            throw new ArgumentException($"{field} is longer than {maxLength} characters ({value.Length}).", field);
        }
        return value;
    }

    public static string? Optional(string? value, string field, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (value.Length > maxLength)
        {
            throw new ArgumentException($"{field} is longer than {maxLength} characters ({value.Length}).", field);
        }
        return value;
    }

    public static string RequestId(string? id, string field)
    {
        Required(id, field, MaxIdLength);
        foreach (var c in id!)
        {
            if (c is <= ' ' or > '~')
            {
                throw new ArgumentException($"{field} may hold only printable ASCII characters without spaces.", field);
            }
        }
        return id;
    }

    /// <summary>The compact JSON text of an object ("{}" for null), refusing secrets and oversized documents.</summary>
    public static string Json(JsonObject? value, string field)
    {
        if (value is null)
        {
            return "{}";
        }
        RefuseSecrets(value, field);
        var text = value.ToJsonString(StoreJson.Options);
        if (text.Length > MaxJsonLength)
        {
            throw new ArgumentException($"{field} is {text.Length} characters of JSON; the limit is {MaxJsonLength}.", field);
        }
        return text;
    }

    public static string Time(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) => DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture);

    /// <summary>
    /// True for property names that name a secret: "pin", "pinCode", "pin_number", "newPin",
    /// "operatorPin", "password", "passcode", "暗証番号"... Names about a PIN that are not the PIN
    /// itself ("pinRetriesLeft", "pinBlocked", "pinRequired") are allowed.
    /// </summary>
    public static bool IsSecretName(string name)
    {
        if (name.Contains("暗証番号", StringComparison.Ordinal) || name.Contains("パスワード", StringComparison.Ordinal))
        {
            return true;
        }
        Span<char> buffer = stackalloc char[Math.Min(name.Length, 256)];
        var length = 0;
        foreach (var c in name.AsSpan(0, Math.Min(name.Length, 256)))
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                buffer[length++] = char.ToLowerInvariant(c);
            }
        }
        ReadOnlySpan<char> n = buffer[..length];
        return n.EndsWith("pin") || n.EndsWith("password") || n.EndsWith("passcode") || n.EndsWith("passphrase")
            || n.StartsWith("pincode") || n.StartsWith("pinnumber") || n.StartsWith("pinvalue") || n.StartsWith("pindigits") || n.StartsWith("pintext")
            || n.StartsWith("password") || n.StartsWith("passcode");
    }

    private static void RefuseSecrets(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    if (IsSecretName(name))
                    {
                        throw new ArgumentException(
                            $"{path}.{name} looks like a PIN or password. PINs and passwords are never stored in the edge database (ADR 0004): leave the property out.", path);
                    }
                    if (child is not null)
                    {
                        RefuseSecrets(child, $"{path}.{name}");
                    }
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        RefuseSecrets(item, $"{path}[{i}]");
                    }
                }
                break;
        }
    }
}
