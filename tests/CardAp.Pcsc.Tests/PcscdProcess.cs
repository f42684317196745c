using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CardAp.Card.Pcsc;

namespace CardAp.Pcsc.Tests;

/// <summary>Stops and starts the machine's pcscd, for the restart test only.</summary>
internal static partial class PcscdProcess
{
    public const string PidFile = "/run/pcscd/pcscd.pid";
    private const int SigTerm = 15;

    /// <summary>SIGTERM to the pid in the pid file, then waits until the process is gone.</summary>
    public static async Task StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pid = ReadPid() ?? throw new InvalidOperationException($"{PidFile} is missing: pcscd was not started in daemon mode.");
        if (Kill(pid, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {pid} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"pcscd (pid {pid}) did not exit within {timeout.TotalSeconds} s of SIGTERM.");
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Starts pcscd in daemon mode (it writes the pid file) and waits until it accepts contexts.</summary>
    public static async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pcscd = File.Exists("/usr/sbin/pcscd") ? "/usr/sbin/pcscd" : "pcscd";
        // The daemon must not inherit the test host's output pipes: it would hold them open or die writing to them.
        var start = new ProcessStartInfo("/bin/sh", ["-c", $"exec {pcscd} </dev/null >/dev/null 2>&1"]) { UseShellExecute = false };
        using (var launcher = Process.Start(start) ?? throw new InvalidOperationException("Could not start pcscd."))
        {
            await launcher.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
            if (launcher.ExitCode != 0)
            {
                throw new InvalidOperationException($"pcscd exited with {launcher.ExitCode} at start.");
            }
        }
        var deadline = DateTime.UtcNow + timeout;
        while (!PcscReaders.IsServiceAvailable(out _))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"pcscd did not accept a PC/SC context within {timeout.TotalSeconds} s of starting.");
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    public static bool IsRunning => ReadPid() is { } pid && IsAlive(pid);

    private static int? ReadPid()
    {
        try
        {
            // pcscd 1.9.9 writes "pid\n" followed by a NUL byte.
            return int.Parse(File.ReadAllText(PidFile).Trim(['\0', '\n', '\r', ' ', '\t']), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            // A zombie (exited, not yet reaped by init) counts as gone: its third stat field is 'Z'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat[(stat.LastIndexOf(')') + 2)..];
            return afterName.Length > 0 && afterName[0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
