using System.Text;

namespace CardAp.Hub.Import;

/// <summary>
/// Reads CSV files as resident information systems export them: RFC 4180 fields (quotes,
/// doubled quotes, quoted line breaks), CRLF or LF, UTF-8 (with or without BOM) or
/// Shift_JIS/CP932, which is decided from the bytes rather than guessed from the file name.
/// </summary>
public static class CsvText
{
    /// <summary>One record with the line it starts on (1-based, as an editor shows it).</summary>
    public sealed record Record(int Line, IReadOnlyList<string> Fields);

    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes the file: a UTF-8 BOM or valid UTF-8 means UTF-8; anything else is read as CP932.</summary>
    public static (string Text, string EncodingName) Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith("\uFEFF"u8))
        {
            return (StrictUtf8.GetString(bytes[3..]), "UTF-8 (BOM)");
        }
        try
        {
            return (StrictUtf8.GetString(bytes), "UTF-8");
        }
        catch (DecoderFallbackException)
        {
            return (Cp932.GetString(bytes), "Shift_JIS (CP932)");
        }
    }

    /// <summary>CP932 (Windows Shift_JIS), as Japanese office software writes it.</summary>
    public static Encoding Cp932
    {
        get
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            return Encoding.GetEncoding(932, EncoderFallback.ExceptionFallback, DecoderFallback.ReplacementFallback);
        }
    }

    /// <summary>Splits CSV text into records; a quote left open at the end is reported with its line.</summary>
    public static IReadOnlyList<Record> Parse(string text)
    {
        var records = new List<Record>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var quoted = false;
        var fieldStarted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when !fieldStarted:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(c);
                    fieldStarted = true;
                    break;
            }
        }
        if (quoted)
        {
            throw new FormatException($"Line {recordLine}: a quoted field is never closed.");
        }
        EndRecord();
        return records;

        void EndRecord()
        {
            if (fields.Count == 0 && field.Length == 0 && !fieldStarted)
            {
                return; // blank line
            }
            fields.Add(field.ToString());
            records.Add(new Record(recordLine, [.. fields]));
            fields.Clear();
            field.Clear();
            fieldStarted = false;
        }
    }
}
