namespace CardAp.Provision.Cli;

/// <summary>What every command returns, for scripts.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command line is wrong (unknown option, missing value).</summary>
    public const int Usage = 1;

    /// <summary>The request was understood and refused: by the hub, by a check here (wrong passphrase, bad bundle input).</summary>
    public const int Refused = 2;

    /// <summary>Something around the tool is missing: hub unreachable, file unreadable, no reader.</summary>
    public const int Environment = 3;
}
