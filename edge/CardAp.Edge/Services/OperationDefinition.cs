namespace CardAp.Edge.Services;

/// <summary>Whether an operation may run while the hub is unreachable.</summary>
public enum OfflinePolicy
{
    /// <summary>Runs offline without limit (shelter reception, library loans).</summary>
    Allowed = 0,
    /// <summary>Runs offline up to a limit the module enforces (points redemption per card per day).</summary>
    Limited = 1,
    /// <summary>Refused with a clear message while the hub is unreachable.</summary>
    OnlineOnly = 2,
}

public enum FieldType
{
    Text,
    Integer,
}

/// <summary>A request field of an operation: validated by the pipeline before the module sees it.</summary>
public sealed record FieldDefinition(string Name, FieldType Type = FieldType.Text, bool Required = true, int MaxLength = 64, long Min = long.MinValue, long Max = long.MaxValue);

/// <summary>An operation a module offers, with who may run it and how.</summary>
/// <param name="Roles">Operator roles allowed to run it at the counter.</param>
/// <param name="PinRequired">The resident's PIN must be verified by the card.</param>
/// <param name="KioskAllowed">A resident alone (card + PIN, no operator) may run it.</param>
/// <param name="OfflineDefault">The module's default; tuning may tighten it, never loosen it.</param>
/// <param name="NeedsMembership">The resident must be registered (and active) in this service.</param>
public sealed record OperationDefinition(
    string Name,
    IReadOnlyList<string> Roles,
    bool PinRequired = false,
    bool KioskAllowed = false,
    OfflinePolicy OfflineDefault = OfflinePolicy.Allowed,
    IReadOnlyList<FieldDefinition>? Fields = null,
    bool NeedsMembership = true)
{
    public IReadOnlyList<FieldDefinition> FieldList => Fields ?? [];
}

/// <summary>A tunable setting: name, default, and a validator that returns an error or null.</summary>
public sealed record SettingDefinition(string Name, string Default, string DescriptionEn, Func<string, string?> Validate)
{
    public static SettingDefinition Integer(string name, long @default, long min, long max, string descriptionEn) =>
        new(name, @default.ToString(System.Globalization.CultureInfo.InvariantCulture), descriptionEn, value =>
            long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? null
                : $"{name} must be a whole number from {min} to {max}, got '{value}'.");
}
