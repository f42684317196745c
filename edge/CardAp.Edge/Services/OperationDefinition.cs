using CardAp.Shared.Services;

namespace CardAp.Edge.Services;

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

    /// <summary>
    /// An operation of a built-in module: name, offline default and kiosk use come from its
    /// <see cref="OperationSchema"/>, the contract the hub validates tuning against; the rest is
    /// how the edge runs it.
    /// </summary>
    public static OperationDefinition For(
        OperationSchema schema,
        IReadOnlyList<string> roles,
        bool pinRequired = false,
        IReadOnlyList<FieldDefinition>? fields = null,
        bool needsMembership = true)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return new(schema.Name, roles, pinRequired, schema.KioskAllowed, schema.OfflineDefault, fields, needsMembership);
    }

    /// <summary>The part of this operation that tuning refers to.</summary>
    public OperationSchema Schema => new(Name, OfflineDefault, KioskAllowed);
}
