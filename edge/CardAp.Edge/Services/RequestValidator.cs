using System.Globalization;
using CardAp.Edge.Api;
using CardAp.Edge.Errors;

namespace CardAp.Edge.Services;

/// <summary>
/// Checks an operation request before anything else happens, naming the field at fault
/// (INVALID_ARGUMENT). Nothing is read from a card or stored for a request that fails here.
/// </summary>
public static class RequestValidator
{
    public const int MaxRequestId = 64;
    public const int MaxReaderName = 128;

    public static (TunedService Service, OperationDefinition Operation) Validate(OperationRequest request, ServiceCatalog catalog)
    {
        if (string.IsNullOrEmpty(request.RequestId) || request.RequestId.Length > MaxRequestId
            || !request.RequestId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
        {
            throw EdgeRefusal.InvalidField("request_id", $"1 to {MaxRequestId} characters of letters, digits, '-', '_', '.', ':' are required.",
                $"1〜{MaxRequestId}文字の英数字と記号(- _ . :)で指定してください。");
        }
        if (string.IsNullOrEmpty(request.Service))
        {
            throw EdgeRefusal.InvalidField("service", "is required.", "必須です。");
        }
        var service = catalog.Find(request.Service) ?? throw EdgeRefusal.InvalidField("service",
            $"'{Shorten(request.Service)}' is not a service of this terminal.", $"「{Shorten(request.Service)}」はこの端末のサービスではありません。");
        var operation = service.Operation(request.Operation) ?? throw EdgeRefusal.InvalidField("operation",
            $"'{Shorten(request.Operation)}' is not an operation of {service.Module.Id}.", $"「{Shorten(request.Operation)}」は{service.Module.NameJa}の操作ではありません。");
        if (request.Reader.Length > MaxReaderName)
        {
            throw EdgeRefusal.InvalidField("reader", $"is longer than {MaxReaderName} characters.", $"{MaxReaderName}文字を超えています。");
        }
        if (request.Pin.Length > 0 && (request.Pin.Length != 4 || !request.Pin.All(char.IsAsciiDigit)))
        {
            throw EdgeRefusal.InvalidField("pin", "must be 4 digits.", "4桁の数字で入力してください。");
        }
        ValidateFields(request, operation);
        return (service, operation);
    }

    private static void ValidateFields(OperationRequest request, OperationDefinition operation)
    {
        foreach (var name in request.Fields.Keys)
        {
            if (operation.FieldList.All(f => f.Name != name))
            {
                throw EdgeRefusal.InvalidField($"fields.{Shorten(name)}", $"is not a field of {operation.Name}.", $"{operation.Name}の項目ではありません。");
            }
        }
        foreach (var field in operation.FieldList)
        {
            var key = $"fields.{field.Name}";
            if (!request.Fields.TryGetValue(field.Name, out var value) || value.Length == 0)
            {
                if (field.Required)
                {
                    throw EdgeRefusal.InvalidField(key, "is required.", "必須です。");
                }
                continue;
            }
            if (value.Length > field.MaxLength)
            {
                throw EdgeRefusal.InvalidField(key, $"is longer than {field.MaxLength} characters.", $"{field.MaxLength}文字を超えています。");
            }
            if (value.Any(char.IsControl))
            {
                throw EdgeRefusal.InvalidField(key, "contains control characters.", "制御文字が含まれています。");
            }
            if (field.Type == FieldType.Integer)
            {
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    throw EdgeRefusal.InvalidField(key, $"must be a whole number, got '{Shorten(value)}'.", $"整数で指定してください(「{Shorten(value)}」)。");
                }
                if (number < field.Min || number > field.Max)
                {
                    throw EdgeRefusal.InvalidField(key, $"must be from {field.Min} to {field.Max}, got {number}.", $"{field.Min}〜{field.Max}の範囲で指定してください({number})。");
                }
            }
        }
    }

    // Echoing a 1 MB hostile string back in an error would only move the problem to the logs.
    private static string Shorten(string value) => value.Length <= 32 ? value : value[..32] + "…";
}
