using System.Buffers.Binary;
using System.Globalization;
using CardAp.Hub.Reports;
using CardAp.Hub.Reports.Output;
using CardAp.Shared.Domain;
using SkiaSharp;

namespace CardAp.Hub.Tests.Reports;

public class UsageChartTests
{
    private static readonly DateOnly From = new(2026, 4, 1);
    private static readonly DateOnly To = new(2026, 4, 14);

    private static UsageReport Report(params UsageTable[] tables) => new(
        [MunicipalityCode.Parse("131016"), MunicipalityCode.Parse("011002")],
        From,
        To,
        tables.SelectMany(t => t.Rows).Aggregate(default(UsageFigures), (sum, r) => sum + r.Figures),
        tables,
        [],
        DateTimeOffset.UnixEpoch);

    // Random figures with offline at most done, as the store produces them.
    private static UsageFigures Figures(Random random)
    {
        var done = random.Next(1, 200);
        return new UsageFigures(done, random.Next(0, done + 1), random.Next(0, 20));
    }

    private static string Day(int offset) => From.AddDays(offset).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Checks the PNG signature and IHDR, decodes the image and returns it.</summary>
    private static SKBitmap Decode(byte[] png, int width, int height)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        return bitmap;
    }

    // The series colours ScottPlot gives in order; a series that is drawn leaves pixels of exactly its colour.
    private static SKColor SeriesColor(int index)
    {
        using var plot = new ScottPlot.Plot();
        var color = plot.Add.Palette.GetColor(index);
        return new SKColor(color.R, color.G, color.B);
    }

    private static bool Shows(SKBitmap bitmap, SKColor color) =>
        bitmap.Pixels.Any(p => p.Red == color.Red && p.Green == color.Green && p.Blue == color.Blue);

    [Fact]
    public void One_dimension_draws_done_bars_with_their_offline_part()
    {
        var random = new Random(1);
        var table = new UsageTable([UsageDimension.Service],
            [.. new[] { "library", "points", "shelter", "seal" }.Select(s => new UsageRow([s], Figures(random)))]);

        using var bitmap = Decode(UsageChart.Png(Report(table), table, 640, 480), 640, 480);

        Assert.True(Shows(bitmap, SeriesColor(0)), "done bars");
        Assert.True(Shows(bitmap, SeriesColor(1)), "offline part");
        Assert.False(Shows(bitmap, SeriesColor(2)), "no third series");
    }

    [Fact]
    public void Time_keys_are_in_chronological_order_over_the_whole_period()
    {
        var report = Report();

        Assert.Equal(
            Enumerable.Range(-1, 16).Select(Day), // a day on each side of the period, as a stray key could be
            UsageChart.Categories(report, UsageDimension.Day, [Day(14), Day(9), Day(2), Day(-1)]));
        // Hours as the report keys them: "00" to "23", each once.
        var hours = Enumerable.Range(0, 24).Select(h => h.ToString("00", CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(hours, UsageChart.Categories(report, UsageDimension.HourOfDay, ["13", "09", "10", "02"]));
        Assert.Equal([.. hours, "24", "x"], UsageChart.Categories(report, UsageDimension.HourOfDay, ["x", "24", "03"]));
        Assert.Equal(["2026-03", "2026-04"], UsageChart.Categories(report, UsageDimension.Month, ["2026-03"]));
        Assert.Equal(["seal", "library"], UsageChart.Categories(report, UsageDimension.Service, ["seal", "library", "seal"]));
    }

    [Fact]
    public void A_day_table_in_any_row_order_renders()
    {
        var random = new Random(2);
        var rows = Enumerable.Range(0, 14).Select(d => new UsageRow([Day(d)], Figures(random))).OrderBy(_ => random.Next()).ToList();
        var table = new UsageTable([UsageDimension.Day], rows);

        using var bitmap = Decode(UsageChart.Png(Report(table), table, 800, 400), 800, 400);

        Assert.True(Shows(bitmap, SeriesColor(0)));
    }

    [Fact]
    public void Two_dimensions_draw_one_series_per_key_of_the_first()
    {
        var random = new Random(3);
        string[] services = ["library", "points", "shelter"];
        var byDay = new UsageTable([UsageDimension.Service, UsageDimension.Day],
            [.. services.SelectMany(s => Enumerable.Range(0, 14).Select(d => new UsageRow([s, Day(d)], Figures(random))))]);
        var bySite = new UsageTable([UsageDimension.Service, UsageDimension.Site],
            [.. services.SelectMany(s => new[] { "S01", "S02" }.Select(site => new UsageRow([s, site], Figures(random))))]);
        var report = Report(byDay, bySite);

        foreach (var table in new[] { byDay, bySite })
        {
            using var bitmap = Decode(UsageChart.Png(report, table, 900, 500), 900, 500);
            Assert.All(Enumerable.Range(0, services.Length), i => Assert.True(Shows(bitmap, SeriesColor(i)), $"{table.Name}: series {i}"));
            Assert.False(Shows(bitmap, SeriesColor(services.Length)), $"{table.Name}: no extra series");
        }
    }

    [Fact]
    public void Beyond_the_series_limit_the_smallest_are_summed_as_other()
    {
        var random = new Random(4);
        var table = new UsageTable([UsageDimension.Terminal, UsageDimension.Site],
            [.. Enumerable.Range(0, UsageChart.MaxSeries + 3).Select(t => new UsageRow([$"T{t:00}", "S01"], Figures(random)))]);

        using var bitmap = Decode(UsageChart.Png(Report(table), table, 600, 600), 600, 600);

        Assert.True(Shows(bitmap, SeriesColor(UsageChart.MaxSeries - 1)), "the last series is Other");
        Assert.False(Shows(bitmap, SeriesColor(UsageChart.MaxSeries)), "no series past the limit");
    }

    [Fact]
    public void Japanese_keys_render_with_or_without_a_cjk_font()
    {
        var random = new Random(5);
        string[] sites = ["本庁舎", "北支所", "図書館 2F"];
        var table = new UsageTable([UsageDimension.Site], [.. sites.Select(s => new UsageRow([s], Figures(random)))]);

        Decode(UsageChart.Png(Report(table), table, 400, 300), 400, 300).Dispose();

        using var plot = new ScottPlot.Plot();
        var label = UsageChart.ChooseFont(plot, sites);
        using var cjk = SKFontManager.Default.MatchCharacter('本');
        if (cjk is null)
        {
            Assert.Equal(["???", "???", "??? 2F"], sites.Select(label)); // an ASCII font draws what it can
        }
        else
        {
            Assert.Equal(sites, sites.Select(label));
        }
    }

    [Theory]
    [InlineData(199, 300)]
    [InlineData(300, 199)]
    [InlineData(4001, 300)]
    [InlineData(300, 4001)]
    [InlineData(0, 0)]
    [InlineData(-640, 480)]
    public void Sizes_outside_200_to_4000_are_refused(int width, int height)
    {
        var table = new UsageTable([UsageDimension.Service], [new UsageRow(["library"], new UsageFigures(1, 0, 0))]);
        Assert.Throws<ArgumentOutOfRangeException>(() => UsageChart.Png(Report(table), table, width, height));
    }

    [Fact]
    public void The_smallest_and_largest_sizes_render_exactly()
    {
        var table = new UsageTable([UsageDimension.Service], [new UsageRow(["library"], new UsageFigures(5, 1, 0))]);
        var report = Report(table);

        Decode(UsageChart.Png(report, table, 200, 200), 200, 200).Dispose();
        Decode(UsageChart.Png(report, table, 4000, 200), 4000, 200).Dispose();
    }

    [Fact]
    public void Tables_it_cannot_chart_are_refused()
    {
        var three = new UsageTable([UsageDimension.Service, UsageDimension.Site, UsageDimension.Day], []);
        var stranger = new UsageTable([UsageDimension.Service], []);

        Assert.Throws<ArgumentException>(() => UsageChart.Png(Report(three), three, 400, 300));
        Assert.Throws<ArgumentException>(() => UsageChart.Png(Report(), stranger, 400, 300));
    }

    [Fact]
    public void An_empty_table_still_renders()
    {
        var table = new UsageTable([UsageDimension.Day], []);
        Decode(UsageChart.Png(Report(table), table, 400, 300), 400, 300).Dispose();
    }
}
