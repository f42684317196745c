namespace CardAp.Shared.Domain;

/// <summary>
/// Validation shared by the printable identifiers that travel on cards and over the wire:
/// short, ASCII letters, digits and '-', so they fit a card file and never need escaping.
/// </summary>
internal static class IdentifierText
{
    public static string Validate(string? value, string what, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new FormatException($"{what} must not be empty.");
        }
        if (value.Length > maxLength)
        {
            throw new FormatException($"{what} '{value}' is longer than {maxLength} characters.");
        }
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                throw new FormatException($"{what} '{value}' may hold only ASCII letters, digits and '-'.");
            }
        }
        return value;
    }
}

/// <summary>The number a municipality gives one card application (カード番号); never the My Number.</summary>
public readonly record struct CardNumber(string Value)
{
    public const int MaxLength = 20;
    public static CardNumber Parse(string value) => new(IdentifierText.Validate(value, "A card number", MaxLength));
    public override string ToString() => Value;
}

/// <summary>A service offered on the card, such as "library" or "shelter".</summary>
public readonly record struct ServiceId(string Value)
{
    public const int MaxLength = 16;
    public static ServiceId Parse(string value) => new(IdentifierText.Validate(value, "A service id", MaxLength));
    public override string ToString() => Value;
}

/// <summary>A resident's member number in one service (利用者番号).</summary>
public readonly record struct MemberNumber(string Value)
{
    public const int MaxLength = 20;
    public static MemberNumber Parse(string value) => new(IdentifierText.Validate(value, "A member number", MaxLength));
    public override string ToString() => Value;
}

/// <summary>A staff member's operator id, printed on the operator identification card (操作者識別カード).</summary>
public readonly record struct OperatorId(string Value)
{
    public const int MaxLength = 16;
    public static OperatorId Parse(string value) => new(IdentifierText.Validate(value, "An operator id", MaxLength));
    public override string ToString() => Value;
}

/// <summary>An operator's role, which the edge maps to permitted operations.</summary>
public readonly record struct OperatorRole(string Value)
{
    public const int MaxLength = 16;
    public static OperatorRole Parse(string value) => new(IdentifierText.Validate(value, "An operator role", MaxLength));
    public override string ToString() => Value;
}
