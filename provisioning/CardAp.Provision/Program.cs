using System.CommandLine;
using CardAp.Provision.Cli;
using CardAp.Provision.Commands;

var hub = new HubOptions();
var root = new RootCommand("cardap-provision: central IT's tool to bring municipalities, terminals and cards to life. Exit codes: 0 done, 1 usage, 2 refused, 3 environment (hub unreachable, file unreadable, no reader).")
{
    CommonOptions.Json,
    CommonOptions.PassphraseFile,
    CaCommands.Create(),
    MunicipalityCommands.Create(hub),
    TerminalCommands.Create(hub),
    ImportCommands.Create(hub),
    TuningCommands.Create(hub),
    OperatorCommands.Create(hub),
    CardCommands.Create(hub),
};
var parsed = root.Parse(args);
var exitCode = await parsed.InvokeAsync();
return parsed.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
