using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Edge.Operators;
using CardAp.Shared.Services;

namespace CardAp.Edge.Services.Modules;

/// <summary>
/// A municipality-defined check-in service (市町村独自サービス: health check-up, facility use, an
/// event), read from master data (kind <see cref="AttendanceDefinitions.Kind"/>, key = service id):
/// <code>
/// {"id":"checkup-2026","nameEn":"Health check-up","nameJa":"健康診断","oncePerDay":true,
///  "needsMembership":true,
///  "operations":[{"name":"checkin","roles":["health-staff"],"pinRequired":false,"kioskAllowed":true,
///                 "offline":"Allowed","fields":[{"name":"venue","type":"Text","required":true,"maxLength":32}]}]}
/// </code>
/// Parsing is strict and names every problem with its path, so a typo in master data is reported
/// rather than silently changing how a service behaves.
/// </summary>
public sealed record AttendanceDefinition(
    string Id,
    string NameEn,
    string NameJa,
    IReadOnlyList<OperationDefinition> Operations,
    bool OncePerDay = false)
{
    public const int MaxNameLength = 64;
    public const int MaxOperations = 16;
    public const int MaxFields = 16;
    public const int MaxOperationNameLength = 32;
    public const int MaxFieldNameLength = 32;
    public const int MaxFieldLength = 1024;

    /// <summary>
    /// What tuning may change in this service. The hub reads the same from the stored JSON with
    /// <see cref="AttendanceSchemas.FromDefinition"/>; attendance services have no settings.
    /// </summary>
    public ServiceSchema Schema => new(Id, NameEn, NameJa, [], [.. Operations.Select(o => o.Schema)]);

    private static readonly string[] DefinitionProperties = ["id", "nameEn", "nameJa", "operations", "oncePerDay", "needsMembership"];
    private static readonly string[] OperationProperties = ["name", "roles", "pinRequired", "kioskAllowed", "offline", "fields", "needsMembership"];
    private static readonly string[] FieldProperties = ["name", "type", "required", "maxLength", "min", "max"];

    /// <summary>Parses and validates the JSON text of a definition stored under <paramref name="key"/>.</summary>
    public static AttendanceDefinition Parse(string key, string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new AttendanceDefinitionException(key, [$"not valid JSON: {ex.Message}"]);
        }
        return Parse(key, node);
    }

    /// <summary>Parses and validates a definition stored under <paramref name="key"/>; throws with every problem found.</summary>
    public static AttendanceDefinition Parse(string key, JsonNode? node)
    {
        var errors = new List<string>();
        if (node is not JsonObject root)
        {
            throw new AttendanceDefinitionException(key, ["the definition must be a JSON object"]);
        }
        Unknown(root, DefinitionProperties, "", errors);

        var id = Text(root, "id", "", errors) ?? string.Empty;
        if (id.Length > 0)
        {
            if (ServiceIdProblem(id) is { } problem)
            {
                errors.Add($"id '{id}' {problem}");
            }
            else if (id != key)
            {
                errors.Add($"id '{id}' differs from the master data key '{key}'");
            }
            else if (BuiltInModules.Ids.Contains(id))
            {
                errors.Add($"id '{id}' is a built-in service; choose another id");
            }
        }
        var nameEn = Name(root, "nameEn", errors);
        var nameJa = Name(root, "nameJa", errors);
        var oncePerDay = Flag(root, "oncePerDay", "", false, errors);
        var needsMembership = Flag(root, "needsMembership", "", true, errors);

        var operations = new List<OperationDefinition>();
        if (root["operations"] is not JsonArray operationNodes || operationNodes.Count == 0)
        {
            errors.Add("operations: at least one operation is needed (an array of objects)");
        }
        else if (operationNodes.Count > MaxOperations)
        {
            errors.Add($"operations: at most {MaxOperations} operations, got {operationNodes.Count}");
        }
        else
        {
            for (var i = 0; i < operationNodes.Count; i++)
            {
                if (ParseOperation(operationNodes[i], $"operations[{i}]", needsMembership, errors) is { } operation)
                {
                    if (operations.Any(o => o.Name == operation.Name))
                    {
                        errors.Add($"operations[{i}].name '{operation.Name}' is used twice");
                    }
                    operations.Add(operation);
                }
            }
        }

        return errors.Count > 0
            ? throw new AttendanceDefinitionException(key, errors)
            : new AttendanceDefinition(id, nameEn!, nameJa!, operations, oncePerDay);
    }

    private static OperationDefinition? ParseOperation(JsonNode? node, string path, bool needsMembershipDefault, List<string> errors)
    {
        if (node is not JsonObject operation)
        {
            errors.Add($"{path}: must be an object");
            return null;
        }
        var before = errors.Count;
        Unknown(operation, OperationProperties, path + ".", errors);
        var name = Text(operation, "name", path + ".", errors);
        if (name is not null && !IsLowerName(name, MaxOperationNameLength))
        {
            errors.Add($"{path}.name '{name}' must be 1 to {MaxOperationNameLength} lower-case ASCII letters, digits or '-', starting with a letter");
        }

        var roles = new List<string>();
        if (operation["roles"] is not JsonArray roleNodes || roleNodes.Count == 0)
        {
            errors.Add($"{path}.roles: at least one operator role is needed (an array of strings: {string.Join(", ", Roles.All.Order(StringComparer.Ordinal))})");
        }
        else
        {
            for (var i = 0; i < roleNodes.Count; i++)
            {
                var role = roleNodes[i] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                if (role is null || !Roles.All.Contains(role))
                {
                    errors.Add($"{path}.roles[{i}] {Show(roleNodes[i])} is not an operator role (known: {string.Join(", ", Roles.All.Order(StringComparer.Ordinal))})");
                }
                else if (!roles.Contains(role))
                {
                    roles.Add(role);
                }
            }
        }

        var pinRequired = Flag(operation, "pinRequired", path + ".", false, errors);
        var kioskAllowed = Flag(operation, "kioskAllowed", path + ".", false, errors);
        var needsMembership = Flag(operation, "needsMembership", path + ".", needsMembershipDefault, errors);

        var offline = OfflinePolicy.Allowed;
        if (operation["offline"] is { } offlineNode)
        {
            var text = offlineNode is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (!OfflinePolicies.TryParse(text, out offline))
            {
                errors.Add($"{path}.offline {Show(offlineNode)} must be \"Allowed\" or \"OnlineOnly\"");
                offline = OfflinePolicy.Allowed;
            }
            else if (offline == OfflinePolicy.Limited)
            {
                // "Limited" means the module enforces a limit offline; an attendance service has none.
                errors.Add($"{path}.offline \"Limited\" is not available for attendance services (there is no limit to enforce): use \"Allowed\" or \"OnlineOnly\"");
            }
        }

        var fields = new List<FieldDefinition>();
        if (operation["fields"] is { } fieldsNode)
        {
            if (fieldsNode is not JsonArray fieldNodes)
            {
                errors.Add($"{path}.fields: must be an array of field objects");
            }
            else if (fieldNodes.Count > MaxFields)
            {
                errors.Add($"{path}.fields: at most {MaxFields} fields, got {fieldNodes.Count}");
            }
            else
            {
                for (var i = 0; i < fieldNodes.Count; i++)
                {
                    if (ParseField(fieldNodes[i], $"{path}.fields[{i}]", errors) is { } field)
                    {
                        if (fields.Any(f => f.Name == field.Name))
                        {
                            errors.Add($"{path}.fields[{i}].name '{field.Name}' is used twice");
                        }
                        fields.Add(field);
                    }
                }
            }
        }

        return errors.Count > before || name is null
            ? null
            : new OperationDefinition(name, roles, pinRequired, kioskAllowed, offline, fields, needsMembership);
    }

    private static FieldDefinition? ParseField(JsonNode? node, string path, List<string> errors)
    {
        if (node is not JsonObject field)
        {
            errors.Add($"{path}: must be an object");
            return null;
        }
        var before = errors.Count;
        Unknown(field, FieldProperties, path + ".", errors);
        var name = Text(field, "name", path + ".", errors);
        if (name is not null && !IsFieldName(name))
        {
            errors.Add($"{path}.name '{name}' must be 1 to {MaxFieldNameLength} ASCII letters, digits, '-' or '_', starting with a letter");
        }
        else if (name is not null && Store.RecordValidation.IsSecretName(name))
        {
            // Field values are recorded; the store refuses anything that could hold a PIN (ADR 0004).
            errors.Add($"{path}.name '{name}' looks like a PIN or password field; such values are never recorded");
        }
        var type = FieldType.Text;
        if (field["type"] is { } typeNode)
        {
            var text = typeNode is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (text is null || !Enum.TryParse(text, ignoreCase: true, out type) || !Enum.IsDefined(type) || int.TryParse(text, out _))
            {
                errors.Add($"{path}.type {Show(typeNode)} is not a field type (Text, Integer)");
            }
        }
        var required = Flag(field, "required", path + ".", true, errors);
        var maxLength = Number(field, "maxLength", path + ".", errors) ?? (type == FieldType.Integer ? 20 : 64);
        if (maxLength is < 1 or > MaxFieldLength)
        {
            errors.Add($"{path}.maxLength {maxLength} must be from 1 to {MaxFieldLength}");
        }
        var min = Number(field, "min", path + ".", errors);
        var max = Number(field, "max", path + ".", errors);
        if (type != FieldType.Integer && (min is not null || max is not null))
        {
            errors.Add($"{path}: min and max apply to Integer fields only");
        }
        if (min is { } lo && max is { } hi && lo > hi)
        {
            errors.Add($"{path}: min {lo} is greater than max {hi}");
        }
        return errors.Count > before || name is null
            ? null
            : new FieldDefinition(name, type, required, (int)maxLength, min ?? long.MinValue, max ?? long.MaxValue);
    }

    private static void Unknown(JsonObject node, string[] known, string prefix, List<string> errors)
    {
        foreach (var (name, _) in node)
        {
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                errors.Add($"{prefix}{name}: unknown property (known: {string.Join(", ", known)})");
            }
        }
    }

    private static string? Text(JsonObject node, string name, string prefix, List<string> errors)
    {
        if (node[name] is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text))
        {
            return text;
        }
        errors.Add(node[name] is null ? $"{prefix}{name}: missing" : $"{prefix}{name} {Show(node[name])} must be a non-empty string");
        return null;
    }

    private static string? Name(JsonObject node, string name, List<string> errors)
    {
        var text = Text(node, name, "", errors);
        if (text is not null && text.Length > MaxNameLength)
        {
            errors.Add($"{name} is longer than {MaxNameLength} characters");
        }
        return text;
    }

    private static bool Flag(JsonObject node, string name, string prefix, bool @default, List<string> errors)
    {
        if (node[name] is not { } value)
        {
            return @default;
        }
        if (value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetValue<bool>();
        }
        errors.Add($"{prefix}{name} {Show(value)} must be true or false");
        return @default;
    }

    private static long? Number(JsonObject node, string name, string prefix, List<string> errors)
    {
        if (node[name] is not { } value)
        {
            return null;
        }
        if (value is JsonValue v && value.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var number))
        {
            return number;
        }
        errors.Add($"{prefix}{name} {Show(value)} must be a whole number");
        return null;
    }

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";

    /// <summary>The rule of <see cref="CardAp.Shared.Domain.ServiceId"/>: what a card's services file can hold.</summary>
    private static string? ServiceIdProblem(string id)
    {
        try
        {
            _ = CardAp.Shared.Domain.ServiceId.Parse(id);
            return null;
        }
        catch (FormatException ex)
        {
            return $"is not a valid service id ({ex.Message})";
        }
    }

    private static bool IsLowerName(string name, int maxLength) =>
        name.Length <= maxLength && char.IsAsciiLetterLower(name[0]) && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static bool IsFieldName(string name) =>
        name.Length <= MaxFieldNameLength && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

/// <summary>An attendance definition in master data that cannot be used, with every problem found.</summary>
public sealed class AttendanceDefinitionException : Exception
{
    public AttendanceDefinitionException(string key, IReadOnlyList<string> problems)
        : base($"Attendance definition '{key}' is invalid: {string.Join("; ", problems)}.")
    {
        Key = key;
        Problems = problems;
    }

    public AttendanceDefinitionException()
        : this(string.Empty, [])
    {
    }

    public AttendanceDefinitionException(string message)
        : base(message)
    {
        Key = string.Empty;
        Problems = [message];
    }

    public AttendanceDefinitionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = string.Empty;
        Problems = [message];
    }

    public string Key { get; }

    public IReadOnlyList<string> Problems { get; }
}
