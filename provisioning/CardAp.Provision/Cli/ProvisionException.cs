namespace CardAp.Provision.Cli;

/// <summary>
/// A command cannot go on: what happened and what to do next, in English and Japanese, with the
/// exit code it ends with (<see cref="ExitCodes.Refused"/> or <see cref="ExitCodes.Environment"/>).
/// </summary>
public sealed class ProvisionException(int exitCode, string reason, string messageEn, string messageJa, Exception? inner = null)
    : Exception(messageEn, inner)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>Machine-readable, for --json, e.g. "WrongPassphrase", "HubUnreachable".</summary>
    public string Reason { get; } = reason;

    public string MessageJa { get; } = messageJa;

    public static ProvisionException Refused(string reason, string messageEn, string messageJa, Exception? inner = null) =>
        new(ExitCodes.Refused, reason, messageEn, messageJa, inner);

    public static ProvisionException Environment(string reason, string messageEn, string messageJa, Exception? inner = null) =>
        new(ExitCodes.Environment, reason, messageEn, messageJa, inner);
}
