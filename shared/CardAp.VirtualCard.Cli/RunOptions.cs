namespace CardAp.VirtualCard.Cli;

internal sealed record RunOptions(int Slot, string Host, int? Port, bool Trace);
