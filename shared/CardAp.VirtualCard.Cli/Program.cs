using System.CommandLine;
using CardAp.VirtualCard.Cli;

var stateArgument = new Argument<FileInfo>("state.json") { Description = "The card state file (JSON, holds keys and PINs: keep it private)." };

var slotOption = new Option<int>("--slot") { Description = "vpcd slot: 0 is \"Virtual PCD 00 00\" on port 35963, 1 the next one.", DefaultValueFactory = _ => 0 };
var hostOption = new Option<string>("--host") { Description = "Host where pcscd's vpcd driver listens.", DefaultValueFactory = _ => "127.0.0.1" };
var portOption = new Option<int?>("--port") { Description = "vpcd port, overriding the one derived from --slot." };
var traceOption = new Option<bool>("--trace") { Description = "Print every command and response APDU to stderr." };
var runCommand = new Command("run", "Inserts the card into a vpcd reader until Ctrl+C or SIGTERM; saves PIN counters and files back to the file as they change.")
{
    stateArgument, slotOption, hostOption, portOption, traceOption,
};
runCommand.SetAction((result, cancellationToken) => RunCommand.RunAsync(
    result.GetValue(stateArgument)!,
    new RunOptions(result.GetValue(slotOption), result.GetValue(hostOption)!, result.GetValue(portOption), result.GetValue(traceOption)),
    cancellationToken));

var showStateArgument = new Argument<FileInfo>("state.json") { Description = "The card state file to describe." };
var showCommand = new Command("show", "Prints the applets, files, certificates and PIN counters of a card file (never private keys or PINs).")
{
    showStateArgument,
};
showCommand.SetAction(result => ShowCommand.Run(result.GetValue(showStateArgument)!, Console.Out, Console.Error));

var newStateArgument = new Argument<FileInfo>("state.json") { Description = "Where to write the new card (refuses to overwrite)." };
var issuerKeyOption = new Option<FileInfo?>("--issuer-key") { Description = "Municipality issuing public key (PEM \"PUBLIC KEY\" or DER SubjectPublicKeyInfo): installs a blank CardAp applet for it." };
var pinOption = new Option<string>("--pin") { Description = "Initial CardAp PIN (4 digits) until the issuer sets the resident's.", DefaultValueFactory = _ => "0000" };
var jpkiOption = new Option<bool>("--jpki") { Description = "Also install a JPKI applet with certificates from a test CA." };
var authorityOption = new Option<FileInfo?>("--jpki-authority") { Description = "Test CA to issue from (PKCS#12 without password); created there when missing. Default: a throw-away CA." };
var caOutOption = new Option<FileInfo?>("--jpki-ca-out") { Description = "Write the test CA certificate (PEM) here: the trust anchor to configure in a verifier." };
var authPinOption = new Option<string>("--auth-pin") { Description = "JPKI user authentication PIN (4 digits).", DefaultValueFactory = _ => "1234" };
var signPinOption = new Option<string>("--sign-pin") { Description = "JPKI signing PIN (6-16 characters A-Z 0-9).", DefaultValueFactory = _ => "SIGN1234" };
var newCommand = new Command("new", "Makes a new card file: a blank CardAp applet for an issuing key and/or a JPKI applet from a test CA.")
{
    newStateArgument, issuerKeyOption, pinOption, jpkiOption, authorityOption, caOutOption, authPinOption, signPinOption,
};
newCommand.SetAction(result => NewCommand.Run(
    new NewOptions(
        result.GetValue(newStateArgument)!,
        result.GetValue(issuerKeyOption),
        result.GetValue(pinOption)!,
        result.GetValue(jpkiOption),
        result.GetValue(authorityOption),
        result.GetValue(caOutOption),
        result.GetValue(authPinOption)!,
        result.GetValue(signPinOption)!),
    Console.Out,
    Console.Error));

var demoOutputOption = new Option<DirectoryInfo>("--output") { Description = "Where to save the demo's card files.", DefaultValueFactory = _ => new DirectoryInfo("cardap-demo") };
var demoCommand = new Command("demo", "Issues a resident and an operator card with a new municipality key and identifies them (and refused cards) offline on the in-process reader.")
{
    demoOutputOption,
};
demoCommand.SetAction((result, cancellationToken) => DemoCommand.RunAsync(result.GetValue(demoOutputOption)!, Console.Out, cancellationToken));

var root = new RootCommand("cardap-vcard: the CardAp virtual smart card (CardAp and JPKI applets) for development, tests and the demo.")
{
    runCommand, showCommand, newCommand, demoCommand,
};
// System.CommandLine's own Ctrl+C handling returns from InvokeAsync as soon as the signal arrives,
// before the action has removed the card and saved its state; `run` handles the signals itself.
var parsed = root.Parse(args);
var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
return parsed.Errors.Count > 0 ? ExitCodes.BadInput : exitCode;
