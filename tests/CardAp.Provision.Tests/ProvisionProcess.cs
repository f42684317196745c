using System.Diagnostics;
using System.Text.Json.Nodes;
using CardAp.Provision.Cli;

namespace CardAp.Provision.Tests;

/// <summary>cardap-provision as central IT runs it: the built tool as a process of its own.</summary>
public static class ProvisionProcess
{
    /// <summary>
    /// Runs cardap-provision.dll (from the test's output folder) with --passphrase-file and <paramref name="args"/>
    /// to its end, with <paramref name="environment"/> added to a clean environment.
    /// </summary>
    public static async Task<Run> RunAsync(string passphraseFile, IReadOnlyDictionary<string, string?> environment, string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cardap-provision.dll"));
        start.ArgumentList.Add("--passphrase-file");
        start.ArgumentList.Add(passphraseFile);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // Nothing from the test runner's own environment decides for the tool.
        foreach (var variable in new[] { ProtectedKeys.PassphraseVariable, PinInput.PinVariable, ReaderOptions.ReaderVariable, "CARDAP_HUB", "CARDAP_HUB_CA", "CARDAP_ADMIN_CERT", "CARDAP_ADMIN_KEY" })
        {
            start.Environment.Remove(variable);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new Run(process.ExitCode, await output, await error);
    }
}

/// <summary>One run of cardap-provision: exit code, standard output (one JSON object with --json) and standard error.</summary>
public sealed record Run(int ExitCode, string Output, string Error)
{
    public JsonObject? Json => Output.TrimStart().StartsWith('{') ? JsonNode.Parse(Output)!.AsObject() : null;

    public string? Reason => (string?)Json?["reason"];

    public override string ToString() => $"exit {ExitCode}: {Output} {Error}";
}
