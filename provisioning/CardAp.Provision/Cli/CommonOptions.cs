using System.CommandLine;

namespace CardAp.Provision.Cli;

/// <summary>Options several commands share, defined once.</summary>
public static class CommonOptions
{
    public static Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object (for scripts) instead of text.", Recursive = true };

    public static Option<FileInfo?> PassphraseFile { get; } = new("--passphrase-file")
    {
        Description = $"A file holding the passphrase that protects private keys (or set {ProtectedKeys.PassphraseVariable}). Never on the command line.",
        Recursive = true,
    };

    public static Option<DirectoryInfo> CaDirectory() => new("--ca")
    {
        Description = "The hub CA folder (hub-ca.pem and its encrypted key hub-ca.key), from `ca init`.",
        Required = true,
    };

    public static Option<string> Municipality() => new("--municipality") { Description = "The 6-digit municipality code (全国地方公共団体コード), e.g. 131016.", Required = true };

    /// <summary>Where a command reports: the invocation's writers (the console, or a host that runs the tool in-process).</summary>
    public static CommandContext Context(ParseResult result) =>
        new(result.GetValue(Json), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
}
