using System.Diagnostics.CodeAnalysis;

namespace CardAp.Shared.Domain;

/// <summary>
/// A municipality's 6-digit local government code (全国地方公共団体コード, JIS X 0402):
/// five digits and a mod-11 check digit. 131016 is Chiyoda, 011002 Sapporo.
/// </summary>
public readonly record struct MunicipalityCode
{
    private readonly string? _value;

    private MunicipalityCode(string value) => _value = value;

    public string Value => _value ?? throw new InvalidOperationException("An uninitialised MunicipalityCode has no value.");

    public static MunicipalityCode Parse(string text)
    {
        if (!TryParse(text, out var code, out var error))
        {
            throw new FormatException(error);
        }
        return code;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out MunicipalityCode code) => TryParse(text, out code, out _);

    public static bool TryParse([NotNullWhen(true)] string? text, out MunicipalityCode code, out string error)
    {
        code = default;
        if (text is null || text.Length != 6 || !text.All(char.IsAsciiDigit))
        {
            error = $"A municipality code is 6 digits (5 digits and a check digit), got '{text}'.";
            return false;
        }
        var expected = CheckDigit(text.AsSpan(0, 5));
        if (text[5] - '0' != expected)
        {
            error = $"Municipality code '{text}' has a wrong check digit: JIS X 0402 gives {text[..5]}{expected}.";
            return false;
        }
        code = new MunicipalityCode(text);
        error = string.Empty;
        return true;
    }

    /// <summary>Builds the full code from the 5-digit form by appending the check digit.</summary>
    public static MunicipalityCode FromFiveDigits(string fiveDigits)
    {
        if (fiveDigits.Length != 5 || !fiveDigits.All(char.IsAsciiDigit))
        {
            throw new FormatException($"A 5-digit municipality code is expected, got '{fiveDigits}'.");
        }
        return new MunicipalityCode(fiveDigits + CheckDigit(fiveDigits).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    // JIS X 0402: weights 6,5,4,3,2; the check digit is the last digit of 11 - (sum mod 11).
    private static int CheckDigit(ReadOnlySpan<char> five)
    {
        var sum = 0;
        for (var i = 0; i < 5; i++)
        {
            sum += (five[i] - '0') * (6 - i);
        }
        return (11 - sum % 11) % 10;
    }

    public override string ToString() => _value ?? string.Empty;
}
