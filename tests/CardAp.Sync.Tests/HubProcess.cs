using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Hub.Tests.Host;
using Grpc.Net.Client;

namespace CardAp.Sync.Tests;

/// <summary>
/// The hub host as a separate OS process (the built cardap-hub.dll) on a port fixed by the caller,
/// so a test can SIGKILL it and start it again where the edge expects it, on the same database.
/// </summary>
internal sealed partial class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StderrTail _stderr;

    private HubProcess(Process process, StderrTail stderr, Uri address)
    {
        _process = process;
        _stderr = stderr;
        Address = address;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts the hub with <paramref name="pki"/>'s settings on 127.0.0.1:<paramref name="port"/>
    /// and waits until it answers an administrator over mutual TLS (unless <paramref name="waitUntilServing"/>
    /// is false). <paramref name="environment"/> adds variables as they are (NOTIFY_SOCKET).
    /// </summary>
    public static async Task<HubProcess> StartAsync(HubPki pki, int port, IDictionary<string, string?>? overrides = null,
        IReadOnlyDictionary<string, string?>? environment = null, bool waitUntilServing = true)
    {
        var settings = pki.Settings();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        using var certificate = pki.Ca.IssueAdminCertificate("it-probe", CallerRole.CentralIt, [MunicipalityFixture.Chiyoda]);
        return await StartAsync(settings, pki.Directory, port, address => Channel(address, pki.Ca.Certificate, certificate), environment, waitUntilServing);
    }

    /// <summary>
    /// Starts the hub with <paramref name="settings"/> ("Section:Key", its certificates and database) on
    /// 127.0.0.1:<paramref name="port"/> in <paramref name="workingDirectory"/>, and waits until it answers
    /// WhoAmI on a channel from <paramref name="connectAdmin"/> (an administrator of the hub's CA).
    /// </summary>
    public static async Task<HubProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string workingDirectory, int port, Func<Uri, GrpcChannel> connectAdmin,
        IReadOnlyDictionary<string, string?>? environment = null, bool waitUntilServing = true)
    {
        var hubDll = typeof(CardAp.Hub.Extensions.HubServiceExtensions).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(hubDll);
        foreach (var (key, value) in settings.Where(s => s.Key != "Hub:ListenUrl"))
        {
            start.ArgumentList.Add($"--{key}={value}");
        }
        start.ArgumentList.Add($"--Hub:ListenUrl=https://127.0.0.1:{port}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start)!;
        var stderr = new StderrTail();
        // Drain the pipes so the child never blocks on a full buffer; keep the end of stderr for failures.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => stderr.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var hub = new HubProcess(process, stderr, new Uri($"https://127.0.0.1:{port}"));
        if (waitUntilServing)
        {
            try
            {
                await hub.WaitReadyAsync(connectAdmin);
            }
            catch
            {
                await hub.DisposeAsync();
                throw;
            }
        }
        return hub;
    }

    private async Task WaitReadyAsync(Func<Uri, GrpcChannel> connectAdmin)
    {
        using var channel = connectAdmin(Address);
        var admin = new Admin.AdminClient(channel);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"cardap-hub exited with code {_process.ExitCode} during start-up: {_stderr}");
            }
            try
            {
                await admin.WhoAmIAsync(new WhoAmIRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Power cut: SIGKILL, no chance to finish the request or the transaction under way.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>What systemd sends on stop: SIGTERM, the host's graceful shutdown.</summary>
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

    /// <summary>A channel presenting <paramref name="clientCertificate"/> and trusting only <paramref name="hubCa"/> for the server.</summary>
    public static GrpcChannel Channel(Uri address, X509Certificate2 hubCa, X509Certificate2 clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
            && certificate is X509Certificate2 server
            && ChainsTo(hubCa, server);
        handler.SslOptions.ClientCertificates = [clientCertificate];
        // Present it even when the server's list of acceptable issuers does not name its CA.
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    private static bool ChainsTo(X509Certificate2 hubCa, X509Certificate2 server)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(hubCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }

    /// <summary>A loopback port free now; the caller keeps it for every start of the hub.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    private sealed class StderrTail
    {
        private readonly Queue<string> _lines = new();

        public void Add(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > 40)
                {
                    _lines.Dequeue();
                }
            }
        }

        public override string ToString()
        {
            lock (_lines)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }
}
