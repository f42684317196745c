using CardAp.Demo;

// cardap-demo [--output <folder>] [--serve]
var folder = args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() ?? Path.Combine(Environment.CurrentDirectory, "cardap-demo");
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
// A service manager or `kill` stops --serve the same way, with the hosts shut down in order.
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
try
{
    await DemoRun.RunAsync(new DemoOptions(folder, Serve: args.Contains("--serve")), Console.Out, stop.Token);
    return 0;
}
catch (DemoException e)
{
    Console.Error.WriteLine($"The demo stopped / デモを中断しました: {e.Message}");
    return 1;
}
