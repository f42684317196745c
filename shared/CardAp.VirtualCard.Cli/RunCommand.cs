using System.Runtime.InteropServices;
using CardAp.Shared.Logging;
using CardAp.VirtualCard.State;
using CardAp.VirtualCard.Vpcd;
using Microsoft.Extensions.Logging;
using Serilog.Extensions.Logging;

namespace CardAp.VirtualCard.Cli;

/// <summary>
/// <c>cardap-vcard run</c>: loads a card and keeps it inserted in a vpcd reader until the process
/// is asked to stop. Every change of persistent state is saved at once, as a card writes its
/// EEPROM during the command: killing the process cannot undo a wrong PIN try.
/// </summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(FileInfo stateFile, RunOptions options, CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stop = stopping.Token;
        void OnSignal(PosixSignalContext context)
        {
            // Keep the runtime from exiting at once: the card must be removed and its state saved first.
            context.Cancel = true;
            stopping.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var serilog = SerilogSetup.CreateConsoleLogger();
        using var loggerFactory = new SerilogLoggerFactory(serilog, dispose: true);
        var logger = loggerFactory.CreateLogger("cardap-vcard");

        VirtualSmartCard card;
        try
        {
            card = VirtualSmartCard.Load(stateFile.FullName);
        }
        catch (VirtualCardStateException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return ExitCodes.BadInput;
        }

        var saveGate = new Lock();
        var saveFailed = false;
        void Save(string why)
        {
            lock (saveGate)
            {
                try
                {
                    card.Save(stateFile.FullName);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    saveFailed = true;
                    logger.LogError(e, "Could not save the card state ({Why}) to {Path}", why, stateFile.FullName);
                }
            }
        }
        card.PersistentStateChanged += (_, _) => Save("state changed");
        if (options.Trace)
        {
            card.ApduExchanged += (_, e) =>
                Console.Error.WriteLine($"> {Convert.ToHexString(e.Command)}{Environment.NewLine}< {Convert.ToHexString(e.Response)}");
        }

        var bridgeOptions = new VpcdBridgeOptions { Slot = options.Slot, Host = options.Host, Port = options.Port };
        VpcdBridge bridge;
        try
        {
            bridge = new VpcdBridge(card, bridgeOptions, loggerFactory.CreateLogger<VpcdBridge>());
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"Invalid vpcd settings: {e.Message}");
            return ExitCodes.BadInput;
        }

        await using (bridge)
        {
            logger.LogInformation(
                "Card {Path} ({Applets}) going into vpcd slot {Slot} at {Host}:{Port}; Ctrl+C removes it",
                stateFile.FullName, string.Join(", ", card.Applets.Select(a => a.Name)), options.Slot, bridge.Host, bridge.Port);
            try
            {
                await bridge.InsertAsync(stop);
                logger.LogInformation("Card inserted");
                await Task.Delay(Timeout.Infinite, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Ctrl+C or SIGTERM: the normal way to end.
            }
            await bridge.RemoveAsync();
        }
        Save("exit");
        logger.LogInformation("Card removed; state saved to {Path}", stateFile.FullName);
        return saveFailed ? ExitCodes.Failure : ExitCodes.Success;
    }
}
