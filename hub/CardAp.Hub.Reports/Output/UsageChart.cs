using System.Globalization;
using System.Text;
using ScottPlot;
using ScottPlot.TickGenerators;
using SkiaSharp;

namespace CardAp.Hub.Reports.Output;

/// <summary>
/// A usage table as a PNG chart (ScottPlot on SkiaSharp: no X server, no fontconfig needed).
/// One dimension: a bar of done operations per key with the offline part drawn over its base.
/// Two dimensions: one series per key of the first dimension over the second; lines when the
/// second is a time (day, month, hour), stacked bars otherwise. At most <see cref="MaxSeries"/>
/// series: the largest by done operations, the rest summed as "Other". Days, months and hours
/// are in chronological order and cover the report's whole period, so a quiet day shows as 0
/// instead of being left out.
/// <para>
/// Fonts: servers often have no CJK font, so titles, axis labels and the legend are ASCII
/// (English dimension labels); keys are drawn as they are. When a key has characters the sans
/// font lacks, a font that has them is looked up (e.g. Noto Sans CJK when installed); when the
/// machine has none, those characters are drawn as '?' rather than as empty boxes. The CSV
/// always has the exact text.
/// </para>
/// </summary>
public static class UsageChart
{
    public const int MinSize = 200;
    public const int MaxSize = 4000;
    public const int MaxSeries = 8;

    // Without fontconfig Skia resolves no aliases such as "sans-serif" and falls back to a serif font.
    private static readonly SKTypeface Sans =
        new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica" }
            .Select(f => SKFontManager.Default.MatchFamily(f)).FirstOrDefault(t => t is not null) ?? SKTypeface.Default;

    /// <summary>Renders the table as a PNG of exactly <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Width or height outside <see cref="MinSize"/>..<see cref="MaxSize"/>.</exception>
    /// <exception cref="ArgumentException">The table is not one of the report's, or has no or more than two dimensions.</exception>
    public static byte[] Png(UsageReport report, UsageTable table, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, MinSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, MinSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxSize);
        if (!report.Tables.Contains(table))
        {
            throw new ArgumentException($"Table '{table.Name}' is not one of the report's tables.", nameof(table));
        }
        if (table.Dimensions.Count is not (1 or 2) || table.Rows.Any(r => r.Keys.Count != table.Dimensions.Count))
        {
            throw new ArgumentException($"Table '{table.Name}' cannot be charted: one or two dimensions, one key per dimension.", nameof(table));
        }

        using var plot = new Plot();
        var categories = Categories(report, table.Dimensions[^1], table.Rows.Select(r => r.Keys[^1]));
        var series = table.Dimensions.Count == 1
            ? [("Done", Values(table.Rows, categories, r => r.Figures.Done)), ("of which offline", Values(table.Rows, categories, r => r.Figures.Offline))]
            : Series(report, table, categories);
        var label = ChooseFont(plot, [.. categories, .. series.Select(s => s.Name)]);

        var top = Draw(plot, table, series, label);
        plot.Axes.Bottom.TickGenerator = Ticks(categories, label, width);
        plot.Axes.Left.TickGenerator = new NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = v => v.ToString("#,0", CultureInfo.InvariantCulture), // not the server's culture
        };
        plot.Axes.SetLimits(-0.5, Math.Max(categories.Count, 1) - 0.5, 0, Math.Max(top, 1) * 1.1);
        var title = Title(report, table);
        plot.Title(title, Math.Clamp(width * 1.4f / title.Split('\n').Max(l => l.Length), 8, 16)); // shrunk to fit narrow charts
        // On a small chart a legend beside the data would leave no room for the data.
        var small = width < 500 || height < 350;
        plot.XLabel(UsageDimensions.LabelEn(table.Dimensions[^1]), small ? 11 : null);
        plot.YLabel("Operations", small ? 11 : null);
        if (series.Count > 0 && small)
        {
            plot.ShowLegend(Alignment.UpperRight);
        }
        else if (series.Count > 0)
        {
            plot.ShowLegend(Edge.Right);
        }
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Adds the series as the table's shape asks; returns the highest value to show.</summary>
    private static double Draw(Plot plot, UsageTable table, List<(string Name, double[] Values)> series, Func<string, string> label)
    {
        if (table.Dimensions.Count == 1)
        {
            return AddBars(plot, series, label, stacked: false);
        }
        if (IsTime(table.Dimensions[1]))
        {
            foreach (var (name, values) in series)
            {
                var line = plot.Add.Scatter(Enumerable.Range(0, values.Length).Select(i => (double)i).ToArray(), values);
                line.LegendText = label(name);
                line.MarkerSize = values.Length > 60 ? 0 : 5; // a marker per day of a year is a smear
            }
            return series.SelectMany(s => s.Values).DefaultIfEmpty().Max();
        }
        return AddBars(plot, series, label, stacked: true);
    }

    private static bool IsTime(UsageDimension dimension) => dimension is UsageDimension.Day or UsageDimension.Month or UsageDimension.HourOfDay;

    /// <summary>The keys along an axis: times in order over the whole period, others as the rows have them.</summary>
    internal static IReadOnlyList<string> Categories(UsageReport report, UsageDimension dimension, IEnumerable<string> keys)
    {
        var inv = CultureInfo.InvariantCulture;
        return dimension switch
        {
            // ISO dates and months sort as text.
            UsageDimension.Day => [.. Days(report).Select(d => d.ToString("yyyy-MM-dd", inv)).Union(keys).Order(StringComparer.Ordinal)],
            UsageDimension.Month => [.. Days(report).Select(d => d.ToString("yyyy-MM", inv)).Union(keys).Order(StringComparer.Ordinal)],
            // The report's hour keys are two digits, "00" to "23".
            UsageDimension.HourOfDay => [.. Enumerable.Range(0, 24).Select(h => h.ToString("00", inv)).Union(keys)
                .OrderBy(k => int.TryParse(k, NumberStyles.None, inv, out var hour) ? hour : int.MaxValue).ThenBy(k => k, StringComparer.Ordinal)],
            _ => [.. keys.Distinct()],
        };
    }

    private static IEnumerable<DateOnly> Days(UsageReport report)
    {
        for (var day = report.From; day <= report.To; day = day.AddDays(1))
        {
            yield return day;
        }
    }

    private static double[] Values(IEnumerable<UsageRow> rows, IReadOnlyList<string> categories, Func<UsageRow, long> figure)
    {
        var index = categories.Select((key, i) => (key, i)).ToDictionary(x => x.key, x => x.i, StringComparer.Ordinal);
        var values = new double[categories.Count];
        foreach (var row in rows)
        {
            values[index[row.Keys[^1]]] += figure(row);
        }
        return values;
    }

    /// <summary>Done operations per key of the first dimension; beyond <see cref="MaxSeries"/> the smallest go into "Other".</summary>
    private static List<(string Name, double[] Values)> Series(UsageReport report, UsageTable table, IReadOnlyList<string> categories)
    {
        var byKey = table.Rows.GroupBy(r => r.Keys[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var order = Categories(report, table.Dimensions[0], table.Rows.Select(r => r.Keys[0])).Where(byKey.ContainsKey).ToList();
        var kept = order.Count <= MaxSeries
            ? order
            : [.. order.OrderByDescending(k => byKey[k].Sum(r => r.Figures.Done)).Take(MaxSeries - 1)];
        var series = order.Where(kept.Contains).Select(k => (k, Values(byKey[k], categories, r => r.Figures.Done))).ToList();
        if (kept.Count < order.Count)
        {
            series.Add(("Other", Values(order.Except(kept).SelectMany(k => byKey[k]), categories, r => r.Figures.Done)));
        }
        return series;
    }

    /// <returns>The top of the highest bar.</returns>
    private static double AddBars(Plot plot, List<(string Name, double[] Values)> series, Func<string, string> label, bool stacked)
    {
        var top = 0.0;
        var bases = new double[series.Count == 0 ? 0 : series[0].Values.Length];
        for (var s = 0; s < series.Count; s++)
        {
            var color = plot.Add.Palette.GetColor(s);
            var bars = series[s].Values.Select((value, i) => new Bar
            {
                Position = i,
                ValueBase = bases[i],
                Value = bases[i] + value,
                FillColor = color,
                LineWidth = 0,
            }).ToList();
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = label(series[s].Name);
            top = bars.Select(b => b.Value).Append(top).Max();
            if (stacked)
            {
                bases = [.. bars.Select(b => b.Value)];
            }
        }
        return top;
    }

    /// <summary>A label under every category, or under every n-th when they would not fit.</summary>
    private static NumericManual Ticks(IReadOnlyList<string> categories, Func<string, string> label, int width)
    {
        var widest = categories.Select(c => c.Length).DefaultIfEmpty(1).Max();
        var fitting = Math.Max(1, width * 2 / 3 / (widest * 8 + 12));
        var step = (categories.Count + fitting - 1) / fitting;
        var ticks = new NumericManual();
        for (var i = 0; i < categories.Count; i++)
        {
            if (i % Math.Max(step, 1) == 0)
            {
                ticks.AddMajor(i, label(categories[i]));
            }
        }
        return ticks;
    }

    private static string Title(UsageReport report, UsageTable table)
    {
        var inv = CultureInfo.InvariantCulture;
        var codes = string.Join(", ", report.Municipalities.Take(4).Select(m => m.ToString()));
        if (report.Municipalities.Count > 4)
        {
            codes += $" +{report.Municipalities.Count - 4} more";
        }
        var period = report.From == report.To
            ? report.From.ToString("yyyy-MM-dd", inv)
            : $"{report.From.ToString("yyyy-MM-dd", inv)} to {report.To.ToString("yyyy-MM-dd", inv)}";
        var by = string.Join(" and ", table.Dimensions.Select(UsageDimensions.LabelEn));
        return $"Usage by {by}\n{codes}: {period}";
    }

    /// <summary>
    /// Sets the plot's font: a sans font, or one that can draw every character of the texts;
    /// returns how to draw a text in it ('?' for characters it lacks).
    /// </summary>
    internal static Func<string, string> ChooseFont(Plot plot, IEnumerable<string> texts)
    {
        var all = string.Concat(texts);
        var typeface = Sans;
        var missing = all.EnumerateRunes().Where(r => !typeface.ContainsGlyph(r.Value)).Select(r => (int?)r.Value).FirstOrDefault();
        if (missing is { } codePoint)
        {
            var fallback = SKFontManager.Default.MatchCharacter(null, ["ja-JP", "ja"], codePoint);
            if (fallback is not null && fallback.ContainsGlyphs(all))
            {
                typeface = fallback;
            }
        }
        plot.Font.Set(typeface.FamilyName);
        return text =>
        {
            var drawable = new StringBuilder(text.Length);
            foreach (var rune in text.EnumerateRunes())
            {
                drawable.Append(typeface.ContainsGlyph(rune.Value) ? rune.ToString() : "?");
            }
            return drawable.ToString();
        };
    }
}
