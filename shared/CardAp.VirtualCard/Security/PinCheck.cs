namespace CardAp.VirtualCard.Security;

/// <summary>Outcome of presenting a PIN to a <see cref="RetryCounterPin"/>.</summary>
public enum PinCheck
{
    Correct,
    Wrong,
    Blocked,
}
