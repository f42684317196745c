using System.CommandLine;
using CardAp.Card.Readers;
using CardAp.Provision.Cli;
using CardAp.Provision.Commands;

namespace CardAp.Provision;

/// <summary>
/// cardap-provision's command tree. The console runs it on PC/SC readers; a host that drives the
/// tool in-process (the demo) gives its own readers and writers and gets the same code paths.
/// </summary>
public sealed class ProvisionTool(ICardReaders? readers = null)
{
    private readonly RootCommand _root = Create(new HubOptions(), new ReaderOptions(readers));

    public static Task<int> RunAsync(string[] args) => new ProvisionTool().RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs one command line; the exit code is one of <see cref="ExitCodes"/>.</summary>
    public async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var parsed = _root.Parse(args);
        var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return parsed.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
    }

    private static RootCommand Create(HubOptions hub, ReaderOptions reader) =>
        new("cardap-provision: central IT's tool to bring municipalities, terminals and cards to life. Exit codes: 0 done, 1 usage, 2 refused, 3 environment (hub unreachable, file unreadable, no reader).")
        {
            CommonOptions.Json,
            CommonOptions.PassphraseFile,
            CaCommands.Create(),
            MunicipalityCommands.Create(hub),
            TerminalCommands.Create(hub),
            ImportCommands.Create(hub),
            TuningCommands.Create(hub),
            OperatorCommands.Create(hub, reader),
            CardCommands.Create(hub, reader),
        };
}
