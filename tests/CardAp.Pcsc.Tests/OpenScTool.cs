using System.Diagnostics;

namespace CardAp.Pcsc.Tests;

/// <summary>Runs OpenSC's command-line tools (opensc-tool, pkcs15-tool, pkcs11-tool) and captures what they print.</summary>
public static class OpenScTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Where Debian puts OpenSC's PKCS#11 module; the first that exists is used.</summary>
    private static readonly string[] Pkcs11ModuleCandidates =
    [
        "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
        "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
        "/usr/lib/opensc-pkcs11.so",
        "/usr/lib64/opensc-pkcs11.so",
    ];

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    public static string? Pkcs11Module => Pkcs11ModuleCandidates.FirstOrDefault(File.Exists);

    /// <summary>The path of a tool on PATH, or null.</summary>
    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, tool))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// Fails (CARDAP_REQUIRE_PCSCD=1) or skips, naming what is missing, unless every tool is installed.
    /// </summary>
    public static void Require(params string[] tools)
    {
        var missing = tools.Where(t => Find(t) is null).ToArray();
        if (missing.Length == 0)
        {
            return;
        }
        var reason = $"OpenSC tools not installed: {string.Join(", ", missing)} (Debian: apt-get install opensc)";
        if (PcscdFixture.PcscdRequired)
        {
            Assert.Fail($"{reason}; CARDAP_REQUIRE_PCSCD=1 requires them");
        }
        Assert.Skip(reason);
    }

    public static async Task<Result> RunAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Find(tool) ?? tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // A debug level set in the developer's environment would drown the output we parse.
        start.Environment.Remove("OPENSC_DEBUG");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', start.ArgumentList)} did not finish within {Timeout.TotalSeconds} s.");
        }
        return new Result(process.ExitCode, await output, await error);
    }
}
