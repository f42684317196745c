namespace CardAp.VirtualCard.Cli;

/// <summary>Process exit codes, so scripts can tell a bad card file from a failure while running.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Running failed: the state could not be saved, vpcd misbehaved, an unexpected error.</summary>
    public const int Failure = 1;

    /// <summary>The command line or an input file is wrong (missing, corrupt, foreign, wrong version).</summary>
    public const int BadInput = 2;
}
