using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using CardAp.Edge.Api;
using CardAp.Edge.Store;
using Grpc.Net.Client;

namespace CardAp.Edge.Tests.Durability;

/// <summary>
/// The edge host as a separate OS process (the built cardap-edge.dll), so a test can kill it
/// with SIGKILL or stop it with SIGTERM exactly as a power cut or a UPS would.
/// </summary>
internal sealed partial class EdgeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _stderr = new();

    private EdgeProcess(Process process, int port)
    {
        _process = process;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        Client = new Terminal.TerminalClient(Channel);
    }

    public GrpcChannel Channel { get; }

    public Terminal.TerminalClient Client { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Writes the master-data snapshot a site is brought up with.</summary>
    public static string WriteSnapshot(string directory, IEnumerable<MasterChange> rows)
    {
        var array = new JsonArray();
        foreach (var row in rows)
        {
            array.Add(new JsonObject { ["kind"] = row.Kind, ["key"] = row.Key, ["payload"] = JsonNode.Parse(row.PayloadJson!) });
        }
        var snapshot = new JsonObject
        {
            ["format"] = "cardap-master-snapshot",
            ["version"] = 1,
            ["municipality"] = "131016",
            ["createdAt"] = DateTimeOffset.UtcNow.ToString("O"),
            ["rows"] = array,
        };
        var path = Path.Combine(directory, "master-snapshot.json");
        File.WriteAllText(path, snapshot.ToJsonString());
        return path;
    }

    /// <summary>
    /// Starts cardap-edge.dll on <paramref name="directory"/>. <paramref name="snapshot"/> null: no initial
    /// master data (a terminal that gets it by sync). <paramref name="settings"/> ("Section:Key") override the defaults;
    /// <paramref name="environment"/> adds variables as they are (NOTIFY_SOCKET). With <paramref name="workingDirectory"/>
    /// the process starts there and gets <paramref name="directory"/> as --contentRoot, as a service manager may start it.
    /// <paramref name="waitUntilServing"/> false returns at once, for a caller that learns readiness another way.
    /// </summary>
    public static async Task<EdgeProcess> StartAsync(string directory, string? snapshot, TimeSpan? shutdownDeadline = null, IReadOnlyDictionary<string, string?>? settings = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, bool waitUntilServing = true)
    {
        var port = FreePort();
        // Not typeof(Program): a test project that also references the hub sees two global Program classes.
        var edgeDll = typeof(CardAp.Edge.Extensions.EdgeServiceExtensions).Assembly.Location;
        var start = new ProcessStartInfo("dotnet", [edgeDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? directory,
        };
        if (workingDirectory is not null)
        {
            start.ArgumentList.Add("--contentRoot");
            start.ArgumentList.Add(directory);
        }
        var env = start.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["Edge__Municipality"] = "131016";
        env["Edge__Readers"] = "Pcsc";
        if (snapshot is not null)
        {
            env["Edge__InitialMasterSnapshot"] = snapshot;
        }
        env["Edge__ShutdownDeadline"] = (shutdownDeadline ?? TimeSpan.FromSeconds(5)).ToString();
        env["Store__DatabasePath"] = Path.Combine(directory, "edge.db");
        env["Store__TerminalId"] = "131016-T001";
        env["Logging__Directory"] = Path.Combine(directory, "logs");
        env["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{port}";
        env["Kestrel__Endpoints__Grpc__Protocols"] = "Http2";
        // Any free port: processes of several tests run side by side.
        env["Edge__Screen__Url"] = "http://127.0.0.1:0";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            env[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            env[name] = value;
        }
        var process = Process.Start(start)!;
        var edge = new EdgeProcess(process, port);
        // Drain the pipes so the child never blocks on a full buffer; keep the end of stderr for failures.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => edge.KeepError(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (waitUntilServing)
        {
            try
            {
                await edge.WaitReadyAsync();
            }
            catch
            {
                await edge.DisposeAsync();
                throw;
            }
        }
        return edge;
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"cardap-edge exited with code {_process.ExitCode} during start-up: {Errors}");
            }
            try
            {
                await Client.GetStatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>The last lines the process wrote to stderr.</summary>
    public string Errors
    {
        get
        {
            lock (_stderr)
            {
                return string.Join(Environment.NewLine, _stderr);
            }
        }
    }

    private void KeepError(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_stderr)
        {
            _stderr.Enqueue(line);
            if (_stderr.Count > 40)
            {
                _stderr.Dequeue();
            }
        }
    }

    /// <summary>Power cut: SIGKILL, no chance to clean up.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>UPS signal: SIGTERM, the host's graceful shutdown.</summary>
    public void Terminate()
    {
        if (SendSignal(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
