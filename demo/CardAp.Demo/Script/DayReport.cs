using System.Globalization;
using CardAp.Hub.Api;
using CardAp.Shared.Hours;

namespace CardAp.Demo.Script;

/// <summary>
/// The day's service statistics (利用統計) from the hub's report API, per municipality: the CSV
/// tables a municipality's office opens in a spreadsheet, and PNG charts by service and by hour.
/// </summary>
public static class DayReport
{
    private static readonly string[] CsvTables = ["service", "hour", "terminal", "refusals"];
    private static readonly string[] ChartTables = ["service", "hour"];

    public static async Task<(IReadOnlyList<string> Files, IReadOnlyDictionary<string, UsageReply> Usage)> WriteAsync(
        Reports.ReportsClient reports, IReadOnlyList<string> municipalities, DateOnly day, string folder, Narrator say)
    {
        var files = new List<string>();
        var usage = new Dictionary<string, UsageReply>();
        foreach (var municipality in municipalities)
        {
            var request = new UsageRequest { Municipalities = { municipality }, From = JapanTime.IsoDate(day), To = JapanTime.IsoDate(day) };
            var reply = await reports.GetUsageAsync(request);
            usage[municipality] = reply;
            foreach (var table in CsvTables)
            {
                files.Add(await SaveAsync(folder, await reports.ExportUsageCsvAsync(new ExportUsageRequest { Usage = request, Table = table })));
            }
            foreach (var table in ChartTables)
            {
                files.Add(await SaveAsync(folder, await reports.RenderUsageChartAsync(new RenderUsageChartRequest { Usage = request, Table = table })));
            }
            say.Say($"{municipality}: done / 実施 {reply.Total.Done}, offline / オフライン {reply.Total.Offline}, refused / 拒否 {reply.Total.Refused}");
            foreach (var row in reply.Tables.Single(t => t.Name == "service").Rows)
            {
                say.Say($"  {row.Keys[0],-10} done {row.Figures.Done,3}  offline {row.Figures.Offline,3}  refused {row.Figures.Refused,3}  offline share {row.Figures.OfflineShare.ToString("P0", CultureInfo.InvariantCulture)}");
            }
            foreach (var refusal in reply.Refusals)
            {
                say.Say($"  refusal / 拒否理由: {refusal.Service} {refusal.Reason} × {refusal.Count}");
            }
        }
        say.Say($"Report written to / 出力先: {folder} ({files.Count} files: CSV in UTF-8 with BOM, PNG charts)");
        return (files, usage);
    }

    private static async Task<string> SaveAsync(string folder, FileReply file)
    {
        var path = Path.Combine(folder, Path.GetFileName(file.FileName));
        await File.WriteAllBytesAsync(path, file.Content.ToByteArray());
        return path;
    }
}
