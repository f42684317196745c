using System.Diagnostics;
using System.Net;
using CardAp.Edge.Api;
using CardAp.Edge.Tests.Durability;

namespace CardAp.SystemTests;

/// <summary>What central IT enrols a terminal as, and the operator who works at it.</summary>
/// <param name="Id">The id within the municipality (the full id is "&lt;municipality&gt;-&lt;id&gt;").</param>
public sealed record TerminalPlan(string Municipality, string Id, string Site, string[] Services, string OperatorId, string OperatorRole)
{
    public string TerminalId => $"{Municipality}-{Id}";

    public override string ToString() => TerminalId;
}

/// <summary>
/// One terminal: cardap-edge as a process of its own on a data folder, enrolled from its bundle, reaching the
/// hub only through its own <see cref="FaultProxy"/>. Cards reach it through pcscd + vpcd.
/// </summary>
internal sealed class EdgeTerminal : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private EdgeProcess? _process;
    private ReaderLog? _readers;
    private int _removalsBeforeStart;

    private EdgeTerminal(TerminalPlan plan, string folder, FaultProxy proxy, IReadOnlyDictionary<string, string?> settings)
    {
        Plan = plan;
        Folder = folder;
        Proxy = proxy;
        _settings = settings;
    }

    public TerminalPlan Plan { get; }

    public string TerminalId => Plan.TerminalId;

    /// <summary>The terminal's data folder: enrolment.json, enrolment/, edge.db, logs/.</summary>
    public string Folder { get; }

    public string DatabasePath => Path.Combine(Folder, "edge.db");

    /// <summary>The terminal's only way to the hub.</summary>
    public FaultProxy Proxy { get; }

    public Terminal.TerminalClient Client => (_process ?? throw new InvalidOperationException($"{TerminalId} is not running.")).Client;

    public ReaderLog Readers => _readers ?? throw new InvalidOperationException($"{TerminalId} is not running.");

    public bool Running => _process is { HasExited: false };

    /// <summary>The operator's session, while it lasts (a card change in the operator's reader or a restart ends it).</summary>
    public string? Session { get; set; }

    /// <summary>Whether the test has made the hub unreachable for this terminal: its records say "offline" then.</summary>
    public bool CutOff { get; set; }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>
    /// Enrols the terminal as central IT and the installer do: `terminal enroll` at the hub (its row, certificate
    /// and a sealed bundle naming the proxy as the hub), then `cardap-edge --enroll` into a new data folder.
    /// </summary>
    public static async Task<EdgeTerminal> EnrolAsync(TerminalPlan plan, string root, CentralIt centre, Uri hub, int seed,
        IReadOnlyDictionary<string, string?> settings)
    {
        var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, hub.Port), seed);
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, plan.TerminalId)).FullName;
            var bundle = Path.Combine(root, plan.TerminalId + ".cardap-enrol");
            var enrolled = await centre.RequireAsync(["terminal", "enroll", "--municipality", plan.Municipality, "--id", plan.Id, "--site", plan.Site,
                .. plan.Services.SelectMany(s => new[] { "--service", s }), "--ca", centre.Ca, "--out", bundle,
                "--terminal-hub", $"https://127.0.0.1:{proxy.Port}", .. centre.HubOptions(hub), "--json"]);
            await ImportBundleAsync(bundle, (string)enrolled.Json!["code"]!, folder);
            return new EdgeTerminal(plan, folder, proxy, settings);
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    private static async Task ImportBundleAsync(string bundle, string code, string folder)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        start.ArgumentList.Add(typeof(CardAp.Edge.Extensions.EdgeServiceExtensions).Assembly.Location);
        foreach (var arg in new[] { "--enroll", bundle, "--code", code, "--into", folder })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancel);
        var error = process.StandardError.ReadToEndAsync(Cancel);
        await process.WaitForExitAsync(Cancel);
        Assert.True(process.ExitCode == 0, $"cardap-edge --enroll exited {process.ExitCode}: {await output} {await error}");
    }

    /// <summary>
    /// Starts cardap-edge on the data folder (again, after a stop or a kill) and watches its readers.
    /// <paramref name="operatorRemovals"/>: operator cards taken out before now, which this run of the edge never sees.
    /// </summary>
    public async Task StartAsync(int operatorRemovals)
    {
        Assert.False(Running, $"{TerminalId} runs already");
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        var settings = new Dictionary<string, string?>(_settings)
        {
            // EdgeProcess names a default terminal; this one's identity is its enrolment's.
            ["Edge:Municipality"] = Plan.Municipality,
            ["Store:TerminalId"] = Plan.TerminalId,
        };
        _process = await EdgeProcess.StartAsync(Folder, snapshot: null, settings: settings);
        _readers = new ReaderLog(_process.Client);
        _removalsBeforeStart = operatorRemovals;
        Session = null;
    }

    /// <summary>
    /// Waits until the terminal has seen <paramref name="removals"/> cards taken out of <paramref name="reader"/>
    /// (counting from the world's start) and a card in it now.
    /// </summary>
    public async Task WaitUntilSeenAsync(string reader, int removals)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Readers.Count("CardRemoved", reader) + _removalsBeforeStart < removals || Readers.Count("CardInserted", reader) == 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{TerminalId} did not report the card changes in {reader} within 30 s: "
                    + $"{Readers.Count("CardRemoved", reader) + _removalsBeforeStart} of {removals} removals, {Readers.Count("CardInserted", reader)} insertions.");
            }
            await Task.Delay(20, Cancel);
        }
    }

    /// <summary>Power cut: SIGKILL, whatever the terminal was doing.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{TerminalId} is not running.");
        process.Kill();
        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"{TerminalId} did not die from SIGKILL");
        await StopWatchingAsync();
    }

    /// <summary>The end of the day: SIGTERM, the host's graceful shutdown.</summary>
    public async Task StopAsync()
    {
        if (!Running)
        {
            return;
        }
        await StopWatchingAsync();
        _process!.Terminate();
        Assert.True(await _process.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"{TerminalId} did not stop on SIGTERM within 30 s");
    }

    public Task<StatusReply> StatusAsync() => Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel).ResponseAsync;

    /// <summary>Waits until the terminal itself says it reaches the hub (<paramref name="online"/>) or not.</summary>
    public async Task WaitUntilOnlineIsAsync(bool online)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await StatusAsync()).Online != online)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{TerminalId} did not see the hub as {(online ? "reachable" : "unreachable")} within 60 s.");
            }
            await Task.Delay(100, Cancel);
        }
    }

    /// <summary>Cuts the terminal off the hub at its proxy (new connections refused, open ones reset) and waits until it knows.</summary>
    public async Task CutOffAsync()
    {
        Proxy.Mode = FaultMode.Refuse;
        Proxy.CutAll();
        await WaitUntilCutOffAsync();
    }

    /// <summary>Waits until the terminal knows it cannot reach the hub; what it records from then on is offline.</summary>
    public async Task WaitUntilCutOffAsync()
    {
        await WaitUntilOnlineIsAsync(false);
        CutOff = true;
    }

    /// <summary>Gives the terminal its network back and waits until it sees the hub again.</summary>
    public async Task ReconnectAsync()
    {
        Proxy.Mode = FaultMode.Pass;
        await WaitUntilReconnectedAsync();
    }

    /// <summary>Waits until the terminal sees the hub again; what it records from then on is online.</summary>
    public async Task WaitUntilReconnectedAsync()
    {
        await WaitUntilOnlineIsAsync(true);
        CutOff = false;
    }

    private async Task StopWatchingAsync()
    {
        if (_readers is not null)
        {
            await _readers.DisposeAsync();
            _readers = null;
        }
        Session = null;
    }

    public override string ToString() => TerminalId;

    public async ValueTask DisposeAsync()
    {
        await StopWatchingAsync();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        await Proxy.DisposeAsync();
    }
}
