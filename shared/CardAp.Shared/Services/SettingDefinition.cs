using System.Globalization;

namespace CardAp.Shared.Services;

/// <summary>The value types a tunable setting can have; master data always carries the value as text.</summary>
public enum SettingType
{
    Integer,
}

/// <summary>Why a tuned setting value is refused, for the administrator (English and Japanese).</summary>
public sealed record SettingProblem(string MessageEn, string MessageJa);

/// <summary>
/// A tunable setting (チューニング項目) of a service: name, type, range and default. The edge applies
/// tuned values that pass <see cref="Check"/> and falls back to <see cref="Default"/> otherwise; the
/// hub refuses a value that would not pass before it is stored.
/// </summary>
public sealed record SettingDefinition(
    string Name,
    SettingType Type,
    string Default,
    long Min,
    long Max,
    string DescriptionEn,
    string DescriptionJa)
{
    public static SettingDefinition Integer(string name, long @default, long min, long max, string descriptionEn, string descriptionJa) =>
        new(name, SettingType.Integer, @default.ToString(CultureInfo.InvariantCulture), min, max, descriptionEn, descriptionJa);

    /// <summary>The English error for a value that may not be used, or null when it may.</summary>
    public string? Validate(string value) => Check(value)?.MessageEn;

    /// <summary>Why a value may not be used, in English and Japanese, or null when it may.</summary>
    public SettingProblem? Check(string value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= Min && n <= Max
            ? null
            : new SettingProblem(
                $"{Name} must be a whole number from {Min} to {Max}, got '{value}'.",
                $"{Name} は {Min} から {Max} までの整数で指定してください（指定値: '{value}'）。");
}
