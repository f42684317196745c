using CardAp.Edge.Api;

namespace CardAp.Edge.Tests.Durability;

/// <summary>
/// The built cardap-edge under a service manager as systemd runs a Type=notify unit: the test binds
/// the notify socket and passes it in NOTIFY_SOCKET (deploy/systemd/cardap-edge.service). The
/// Windows service side cannot run on Linux; docs/operations.md says what was and was not tested.
/// </summary>
public sealed class ServiceManagerTests : IDisposable
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("cardap-svc-");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task Tells_systemd_ready_only_once_it_serves_and_stopping_on_sigterm_then_exits_cleanly()
    {
        using var notify = new NotifySocket(_directory.FullName);
        await using var edge = await EdgeProcess.StartAsync(_directory.FullName, snapshot: null, shutdownDeadline: TimeSpan.FromSeconds(5),
            settings: Offline, environment: Notify(notify), waitUntilServing: false);

        await notify.WaitForAsync("READY=1", StartBudget);
        // systemd starts what comes After= on READY=1: the very first call must be answered, no retry.
        var status = await edge.Client.GetStatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: Cancel);
        Assert.Equal("131016-T001", status.TerminalId);

        edge.Terminate();
        await notify.WaitForAsync("STOPPING=1", TimeSpan.FromSeconds(10));
        Assert.True(await edge.WaitForExitAsync(TimeSpan.FromSeconds(15)), "cardap-edge did not exit within its shutdown deadline after SIGTERM");
        Assert.Equal(0, edge.ExitCode);
        Assert.Equal(["READY=1", "STOPPING=1"], notify.Received);
    }

    [Fact]
    public async Task Started_in_the_root_directory_it_reads_settings_and_keeps_data_in_its_content_root()
    {
        // The Linux image of a Windows service started in System32, or a unit without WorkingDirectory=.
        File.WriteAllText(Path.Combine(_directory.FullName, "appsettings.json"), """{ "Edge": { "Training": true } }""");
        var settings = new Dictionary<string, string?>(Offline) { ["Store:DatabasePath"] = "edge.db" };
        using var notify = new NotifySocket(_directory.FullName);
        await using var edge = await EdgeProcess.StartAsync(_directory.FullName, snapshot: null, settings: settings,
            environment: Notify(notify), workingDirectory: "/", waitUntilServing: false);

        await notify.WaitForAsync("READY=1", StartBudget);
        var status = await edge.Client.GetStatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: Cancel);

        Assert.True(status.Training, "appsettings.json in the content root was not read");
        Assert.True(File.Exists(Path.Combine(_directory.FullName, "edge.db")), "the relative Store:DatabasePath did not resolve against the content root");
        edge.Terminate();
        Assert.True(await edge.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    // Virtual readers: no pcscd needed; no daily backup racing the test's clean-up.
    private static Dictionary<string, string?> Offline => new()
    {
        ["Edge:Readers"] = "Virtual",
        ["Store:DailyBackup"] = "false",
    };

    private static Dictionary<string, string?> Notify(NotifySocket socket) => new() { ["NOTIFY_SOCKET"] = socket.Path };
}
