using System.Security.Cryptography;
using System.Text;

namespace CardAp.Shared.Enrolment;

/// <summary>
/// The one-time code that opens an enrolment bundle: 20 characters of Crockford base32 (100 bits),
/// shown in groups of four, e.g. "7K3M-Q9TD-...". Read aloud or typed by the installer, so letters
/// that look alike (I/L/1, O/0) are read as the same and case, spaces and dashes do not matter.
/// </summary>
public static class EnrolmentCode
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int Length = 20;

    public static string New()
    {
        var builder = new StringBuilder(Length + Length / 4);
        for (var i = 0; i < Length; i++)
        {
            if (i > 0 && i % 4 == 0)
            {
                builder.Append('-');
            }
            builder.Append(Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)]);
        }
        return builder.ToString();
    }

    /// <summary>The code as the key derivation sees it: upper case, look-alikes folded, separators dropped.</summary>
    public static string Normalize(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var builder = new StringBuilder(code.Length);
        foreach (var c in code.ToUpperInvariant())
        {
            switch (c)
            {
                case '-' or ' ':
                    continue;
                case 'O':
                    builder.Append('0');
                    break;
                case 'I' or 'L':
                    builder.Append('1');
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }
        return builder.ToString();
    }
}
