namespace CardAp.Benchmarks;

/// <summary>
/// One "## " section of docs/benchmarks.md, so a benchmark run alone (--sync-only, --load-only) can
/// rewrite its own figures and leave every other section as the last full run wrote it.
/// </summary>
internal static class ReportSection
{
    /// <summary>
    /// Replaces the section titled <paramref name="title"/> in <paramref name="path"/> (from its title
    /// line to the next "## " or the end) with <paramref name="section"/>, or appends it.
    /// </summary>
    public static void Write(string path, string title, IReadOnlyList<string> section)
    {
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : ["# Benchmarks", ""];
        var start = lines.FindIndex(l => l.TrimEnd() == title);
        if (start < 0)
        {
            if (lines.Count > 0 && lines[^1].Length > 0)
            {
                lines.Add("");
            }
            lines.AddRange(section);
        }
        else
        {
            var end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
            lines.RemoveRange(start, (end < 0 ? lines.Count : end) - start);
            lines.InsertRange(start, end < 0 ? section : [.. section, ""]);
        }
        while (lines.Count > 1 && lines[^1].Length == 0 && lines[^2].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }
        File.WriteAllText(path, string.Join(Environment.NewLine, lines) + (lines[^1].Length == 0 ? "" : Environment.NewLine));
    }
}
