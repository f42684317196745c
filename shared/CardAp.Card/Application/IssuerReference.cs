using System.Globalization;
using CardAp.Shared.Domain;

namespace CardAp.Card.Application;

/// <summary>
/// Names one issuing key: the municipality and the key's version ("131016-01"), so keys can be
/// rotated while cards signed by the old key stay verifiable until they expire.
/// </summary>
public readonly record struct IssuerReference(MunicipalityCode Municipality, int KeyVersion)
{
    public static IssuerReference Parse(string text)
    {
        var parts = text.Split('-');
        if (parts.Length != 2 || parts[1].Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            || !MunicipalityCode.TryParse(parts[0], out var municipality))
        {
            throw new FormatException($"An issuer reference is '<municipality code>-<2-digit key version>', got '{text}'.");
        }
        return new IssuerReference(municipality, version);
    }

    public override string ToString() => $"{Municipality.Value}-{KeyVersion:00}";
}
