using System.Globalization;
using System.Text;
using CardAp.Hub.Import;
using CardAp.Hub.Reports;
using CardAp.Hub.Reports.Output;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Tests.Reports;

public class UsageCsvTests
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static UsageReport Report(IReadOnlyList<UsageTable> tables, IReadOnlyList<RefusalRow>? refusals = null) => new(
        [MunicipalityCode.Parse("131016")],
        new DateOnly(2026, 4, 1),
        new DateOnly(2026, 4, 30),
        tables.SelectMany(t => t.Rows).Aggregate(default(UsageFigures), (sum, r) => sum + r.Figures),
        tables,
        refusals ?? [],
        DateTimeOffset.UnixEpoch);

    private static UsageTable ServiceTable(params string[] services) =>
        new([UsageDimension.Service], [.. services.Select((s, i) => new UsageRow([s], new UsageFigures(10 + i, i, 1)))]);

    // The CSV as a reader sees it: without the BOM, split by the import's RFC 4180 parser.
    private static List<IReadOnlyList<string>> Parse(byte[] csv)
    {
        Assert.True(csv.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), "the file starts with the UTF-8 BOM");
        return [.. CsvText.Parse(StrictUtf8.GetString(csv, 3, csv.Length - 3)).Select(r => r.Fields)];
    }

    [Fact]
    public void Starts_with_the_bom_and_keeps_japanese_text()
    {
        var table = ServiceTable("図書館", "避難所受付");
        var csv = UsageCsv.Table(Report([table]), table);

        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, csv[..3]);
        var text = StrictUtf8.GetString(csv, 3, csv.Length - 3); // throws on any invalid UTF-8
        Assert.StartsWith("サービス (Service),利用件数 (Done),", text, StringComparison.Ordinal);
        Assert.Equal(["図書館", "避難所受付"], Parse(csv).Skip(1).Select(r => r[0]));
    }

    [Fact]
    public void Header_has_japanese_and_english_labels_per_dimension_then_the_figures()
    {
        var table = new UsageTable([UsageDimension.Site, UsageDimension.HourOfDay], [new UsageRow(["S01", "9"], new UsageFigures(1, 0, 0))]);

        var header = Parse(UsageCsv.Table(Report([table]), table))[0];

        Assert.Equal(["施設 (Site)", "時間帯 (Hour)", "利用件数 (Done)", "うちオフライン (Offline)", "オフライン率 (Offline share)", "拒否件数 (Refused)"], header);
    }

    [Fact]
    public void Lines_end_with_crlf()
    {
        var table = ServiceTable("library", "points", "seal");
        var text = Encoding.UTF8.GetString(UsageCsv.Table(Report([table]), table)[3..]);

        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
        Assert.Equal(4, text.Split("\r\n").Length - 1);
        Assert.DoesNotContain('\n', text.Replace("\r\n", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_with_commas_quotes_and_line_breaks_are_quoted_and_read_back_intact()
    {
        string[] keys = ["Hall A, 2F", "the \"main\" desk", "two\r\nlines", "plain"];
        var table = ServiceTable(keys);
        var csv = UsageCsv.Table(Report([table]), table);

        var text = Encoding.UTF8.GetString(csv[3..]);
        Assert.Contains("\r\n\"Hall A, 2F\",10,", text, StringComparison.Ordinal);
        Assert.Contains("\r\n\"the \"\"main\"\" desk\",11,", text, StringComparison.Ordinal);
        Assert.Contains("\r\n\"two\r\nlines\",12,", text, StringComparison.Ordinal);
        Assert.Contains("\r\nplain,13,", text, StringComparison.Ordinal);
        Assert.Equal(keys, Parse(csv).Skip(1).Select(r => r[0]));
    }

    [Fact]
    public void Text_that_excel_would_run_as_a_formula_gets_a_leading_apostrophe()
    {
        string[] dangerous = ["=HYPERLINK(\"http://x\",\"y\")", "+81-3", "-1+1", "@SUM(A1)", "\tindent", "\rreturn"];
        string[] harmless = ["a=b", "library", "'quoted", ""];
        var table = ServiceTable([.. dangerous, .. harmless]);

        var keys = Parse(UsageCsv.Table(Report([table]), table)).Skip(1).Select(r => r[0]);

        Assert.Equal([.. dangerous.Select(d => "'" + d), .. harmless], keys);
    }

    [Fact]
    public void Figures_are_the_rows_of_the_table()
    {
        // Operations of a month, generated and grouped here, so the expected figures are sums rather than typed totals.
        var random = new Random(4711);
        string[] services = ["library", "points", "shelter", "seal"];
        var operations = Enumerable.Range(0, 500).Select(_ => (
            Service: services[random.Next(services.Length)],
            Day: new DateOnly(2026, 4, 1).AddDays(random.Next(30)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Refused: random.Next(10) == 0,
            Offline: random.Next(4) == 0)).ToList();
        var rows = operations
            .GroupBy(o => (o.Service, o.Day))
            .OrderBy(g => g.Key.Service, StringComparer.Ordinal).ThenBy(g => g.Key.Day, StringComparer.Ordinal)
            .Select(g => new UsageRow([g.Key.Service, g.Key.Day], new UsageFigures(
                g.Count(o => !o.Refused), g.Count(o => !o.Refused && o.Offline), g.Count(o => o.Refused))))
            .ToList();
        var table = new UsageTable([UsageDimension.Service, UsageDimension.Day], rows);

        var records = Parse(UsageCsv.Table(Report([table]), table)).Skip(1).ToList();

        Assert.Equal(rows.Count, records.Count);
        foreach (var (row, record) in rows.Zip(records))
        {
            Assert.Equal([.. row.Keys, row.Figures.Done.ToString(CultureInfo.InvariantCulture), row.Figures.Offline.ToString(CultureInfo.InvariantCulture),
                row.Figures.OfflineShare.ToString("0.0000", CultureInfo.InvariantCulture), row.Figures.Refused.ToString(CultureInfo.InvariantCulture)], record);
        }
        Assert.Equal(operations.Count(o => !o.Refused), records.Sum(r => long.Parse(r[2], CultureInfo.InvariantCulture)));
        Assert.Equal(operations.Count(o => !o.Refused && o.Offline), records.Sum(r => long.Parse(r[3], CultureInfo.InvariantCulture)));
        Assert.Equal(operations.Count(o => o.Refused), records.Sum(r => long.Parse(r[5], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Numbers_are_invariant_whatever_the_culture_and_the_share_has_four_decimals()
    {
        var table = new UsageTable([UsageDimension.Month],
        [
            new UsageRow(["2026-04"], new UsageFigures(8, 1, 1_234_567)),
            new UsageRow(["2026-05"], new UsageFigures(0, 0, 3)),
            new UsageRow(["2026-06"], new UsageFigures(3, 2, 0)),
        ]);
        var before = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE"); // decimal comma, dot for thousands
        try
        {
            var records = Parse(UsageCsv.Table(Report([table]), table)).Skip(1).ToList();

            Assert.Equal(["2026-04", "8", "1", "0.1250", "1234567"], records[0]);
            Assert.Equal(["2026-05", "0", "0", "0.0000", "3"], records[1]);
            Assert.Equal(["2026-06", "3", "2", "0.6667", "0"], records[2]);
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void Refusals_by_service_and_reason()
    {
        RefusalRow[] refusals =
        [
            new("library", "CardSuspended", 3),
            new("points", "=cmd|' /C calc'!A0", 1),
            new("避難所", "暗証番号, 誤り", 12),
        ];
        var csv = UsageCsv.Refusals(Report([], refusals));

        Assert.Equal(
        [
            ["サービス (Service)", "理由 (Reason)", "件数 (Count)"],
            ["library", "CardSuspended", "3"],
            ["points", "'=cmd|' /C calc'!A0", "1"],
            ["避難所", "暗証番号, 誤り", "12"],
        ], Parse(csv));
    }

    [Fact]
    public void A_table_from_another_report_is_refused()
    {
        var table = ServiceTable("library");
        Assert.Throws<ArgumentException>(() => UsageCsv.Table(Report([ServiceTable("points")]), table));
    }
}
