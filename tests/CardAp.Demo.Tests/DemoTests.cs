using System.Diagnostics;
using System.Text;

namespace CardAp.Demo.Tests;

/// <summary>
/// The main command end to end: cardap-demo as its own process on a clean folder, then its report
/// files read back and held against the scripted day (Script/Cast.cs and DemoRun.cs): what each
/// terminal did, hour by hour, with one refusal and one shelter cut off for three check-ins.
/// </summary>
public sealed class DemoTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("cardap-demo-test-");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task The_demo_runs_the_scripted_day_and_its_report_counts_exactly_what_the_terminals_did()
    {
        var (exitCode, output, error) = await RunDemoAsync();
        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}\n{error}");

        var report = Path.Combine(_folder.FullName, "report");
        // Chiyoda: 5 loans and 1 return at the library, 2 point accruals and 1 seal certificate at the
        // branch counter, all online; the suspended card refused once at the library at 11:50.
        Assert.Equal(
            ["library,6,0,0.0000,1", "points,2,0,0.0000,0", "seal,1,0,0.0000,0"],
            Rows(report, "131016", "service"));
        Assert.Equal(["09,4,0,0.0000,0", "10,4,0,0.0000,0", "11,1,0,0.0000,1"], Rows(report, "131016", "hour"));
        Assert.Equal(["131016-T001,6,0,0.0000,1", "131016-T002,3,0,0.0000,0"], Rows(report, "131016", "terminal"));
        Assert.Equal(["library,Suspended,1"], Rows(report, "131016", "refusals"));

        // Sapporo: three check-ins while the shelter's line was down, one check-out after it came back.
        Assert.Equal(["shelter,4,3,0.7500,0"], Rows(report, "011002", "service"));
        Assert.Equal(["13,1,1,1.0000,0", "14,2,2,1.0000,0", "16,1,0,0.0000,0"], Rows(report, "011002", "hour"));
        Assert.Equal(["011002-T001,4,3,0.7500,0"], Rows(report, "011002", "terminal"));
        Assert.Empty(Rows(report, "011002", "refusals"));

        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G'];
        var charts = Directory.GetFiles(report, "*.png");
        Assert.Equal(4, charts.Length);
        Assert.All(charts, chart => Assert.Equal(png, File.ReadAllBytes(chart)[..4]));

        // What it printed as it went: the outage seen by the terminal, and the catch-up.
        Assert.Contains("OFFLINE / オフライン, waiting for the hub / 未送信: 7 records", output, StringComparison.Ordinal);
        Assert.Contains("7 record(s) sent", output, StringComparison.Ordinal);
        Assert.Contains("REFUSED (Suspended)", output, StringComparison.Ordinal);
        Assert.Contains($"Report written to / 出力先: {report}", output, StringComparison.Ordinal);
    }

    /// <summary>A report table's rows with anything done or refused, header and empty hours left out.</summary>
    private static List<string> Rows(string folder, string municipality, string table)
    {
        var file = Assert.Single(Directory.GetFiles(folder, $"usage-{municipality}-*-{table}.csv"));
        return [.. File.ReadAllLines(file, Encoding.UTF8).Skip(1).Where(line => !line.EndsWith(",0,0,0.0000,0", StringComparison.Ordinal))];
    }

    private async Task<(int ExitCode, string Output, string Error)> RunDemoAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cardap-demo.dll"));
        start.ArgumentList.Add("--output");
        start.ArgumentList.Add(_folder.FullName);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancel);
        var error = process.StandardError.ReadToEndAsync(Cancel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output, await error);
    }
}
