using CardAp.Demo.Script;
using CardAp.Demo.Site;
using CardAp.Hub.Api;

namespace CardAp.Demo;

/// <summary>What the demo is asked to do: where to work, and whether to stay up afterwards.</summary>
public sealed record DemoOptions(string Folder, bool Serve = false);

/// <summary>The day's outcome: the report's files and the hub's figures per municipality.</summary>
public sealed record DemoResult(DateOnly Day, string ReportFolder, IReadOnlyList<string> Files, IReadOnlyDictionary<string, UsageReply> Usage);

/// <summary>
/// The README's main command: the whole system provisioned in one process (<see cref="DemoWorld"/>),
/// one scripted day at its terminals (<see cref="ScriptedDay"/>) and the hub's statistics report;
/// with <see cref="DemoOptions.Serve"/> it stays up for a look around.
/// </summary>
public static class DemoRun
{
    public static async Task<DemoResult> RunAsync(DemoOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        await using var world = await DemoWorld.StartAsync(options.Folder, output, cancellationToken);
        var result = await new ScriptedDay(world).PlayAsync();
        if (options.Serve)
        {
            await ServeAsync(world, output, cancellationToken);
        }
        return result;
    }

    // One resident's card per terminal, in the order the world enrols them: library, branch counter, shelter.
    private static readonly string[] ServeCards = ["C-A002", "C-A001", "C-B003"];

    private static async Task ServeAsync(DemoWorld world, TextWriter output, CancellationToken cancellationToken)
    {
        output.WriteLine();
        output.WriteLine("Serving until Ctrl+C / Ctrl+C で終了するまで稼働中:");
        output.WriteLine($"  hub (admin and report APIs, mutual TLS) / ハブ: {world.Hub.Address}");
        output.WriteLine($"    CA {world.Folders.HubCaCertificate}; administrator {world.Folders.AdminCertificate} + {world.Folders.AdminKey} (passphrase in {world.Folders.PassphraseFile})");
        output.WriteLine($"  dashboard / ダッシュボード: {world.Hub.Dashboard} (browser: import {world.Folders.AdminPkcs12}, password in {world.Folders.PassphraseFile}; trust {world.Folders.HubCaCertificate}; docs/dashboard.md)");
        // A card waits on each resident reader, so the screens can be tried at once (the operator cards stayed in).
        foreach (var (terminal, card) in world.Terminals.Zip(ServeCards))
        {
            terminal.Insert(TerminalSite.ResidentReader, world.Card(card));
            output.WriteLine($"  {terminal.Id} {terminal.Name}: terminal API (gRPC, h2c) {terminal.Address}");
            output.WriteLine($"    screen in a browser / 端末画面: {terminal.ScreenAddress} (kiosk / 住民用: {terminal.ScreenAddress}?mode=kiosk)");
            output.WriteLine($"    operator card in / 操作者カード: {TerminalSite.OperatorReader} (PIN {CentralIt.Pin}); resident card / 住民カード {card} in {TerminalSite.ResidentReader}");
        }
        output.WriteLine("  e.g. / 例: cardap-provision municipality list " +
            $"--hub {world.Hub.Address} --hub-ca {world.Folders.HubCaCertificate} --admin-cert {world.Folders.AdminCertificate} --admin-key {world.Folders.AdminKey} --passphrase-file {world.Folders.PassphraseFile}");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("Stopping / 停止します");
        }
    }
}
