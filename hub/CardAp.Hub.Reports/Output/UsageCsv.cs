using System.Globalization;
using System.Text;

namespace CardAp.Hub.Reports.Output;

/// <summary>
/// A usage report as CSV files for Excel: UTF-8 with a BOM (without it Excel reads Japanese as
/// Shift_JIS and garbles it), CRLF line ends, RFC 4180 quoting, headers in Japanese with the
/// English label in brackets ("サービス (Service)"), numbers in invariant culture without
/// thousands separators. The offline share is a fraction with four decimals ("0.1250" is
/// 12.5 %), so a spreadsheet can compute with it and format it as a percentage.
/// Text fields that start with =, +, -, @, tab or CR get a leading apostrophe: keys such as site
/// names are typed by administrators, and Excel would otherwise run them as formulas.
/// </summary>
public static class UsageCsv
{
    private static readonly string[] FigureHeaders =
    [
        "利用件数 (Done)",
        "うちオフライン (Offline)",
        "オフライン率 (Offline share)",
        "拒否件数 (Refused)",
    ];

    private static readonly string[] RefusalHeaders = ["サービス (Service)", "理由 (Reason)", "件数 (Count)"];

    /// <summary>One table of the report: a column per dimension, then done, offline, offline share and refused.</summary>
    /// <exception cref="ArgumentException">The table is not one of the report's.</exception>
    public static byte[] Table(UsageReport report, UsageTable table)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(table);
        if (!report.Tables.Contains(table))
        {
            throw new ArgumentException($"Table '{table.Name}' is not one of the report's tables.", nameof(table));
        }

        var csv = new StringBuilder();
        WriteRecord(csv, [.. table.Dimensions.Select(d => Text($"{UsageDimensions.LabelJa(d)} ({UsageDimensions.LabelEn(d)})")), .. FigureHeaders]);
        foreach (var row in table.Rows)
        {
            if (row.Keys.Count != table.Dimensions.Count)
            {
                throw new ArgumentException($"A row of table '{table.Name}' has {row.Keys.Count} keys for {table.Dimensions.Count} dimensions.", nameof(table));
            }
            var f = row.Figures;
            WriteRecord(csv, [.. row.Keys.Select(Text), Number(f.Done), Number(f.Offline), f.OfflineShare.ToString("0.0000", CultureInfo.InvariantCulture), Number(f.Refused)]);
        }
        return Encode(csv);
    }

    /// <summary>Refused operations by service and reason, in the report's order.</summary>
    public static byte[] Refusals(UsageReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var csv = new StringBuilder();
        WriteRecord(csv, RefusalHeaders);
        foreach (var refusal in report.Refusals)
        {
            WriteRecord(csv, [Text(refusal.Service), Text(refusal.Reason), Number(refusal.Count)]);
        }
        return Encode(csv);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    // Only text goes through here: numbers are written by this class and never start with a formula character.
    private static string Text(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    private static void WriteRecord(StringBuilder csv, IEnumerable<string> fields)
    {
        var first = true;
        foreach (var field in fields)
        {
            if (!first)
            {
                csv.Append(',');
            }
            first = false;
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                csv.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                csv.Append(field);
            }
        }
        csv.Append("\r\n");
    }

    private static byte[] Encode(StringBuilder csv)
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: true);
        return [.. utf8.GetPreamble(), .. utf8.GetBytes(csv.ToString())];
    }
}
