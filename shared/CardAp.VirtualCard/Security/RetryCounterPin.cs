using System.Security.Cryptography;
using System.Text;

namespace CardAp.VirtualCard.Security;

/// <summary>
/// A PIN with a retry counter, the way a card keeps it in non-volatile memory: a wrong try
/// decrements the counter, a right one restores it, and at zero the PIN is blocked for good
/// (only a reset of the retry counter, where the applet allows one, revives it).
/// </summary>
public sealed class RetryCounterPin
{
    private byte[] _value;

    public RetryCounterPin(string value, int maxTries, int? triesLeft = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTries, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTries, 15);
        var left = triesLeft ?? maxTries;
        ArgumentOutOfRangeException.ThrowIfNegative(left, nameof(triesLeft));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(left, maxTries, nameof(triesLeft));
        _value = Encoding.ASCII.GetBytes(value);
        MaxTries = maxTries;
        TriesLeft = left;
    }

    public int MaxTries { get; }
    public int TriesLeft { get; private set; }
    public bool IsBlocked => TriesLeft == 0;

    /// <summary>The PIN as ASCII, for saving the card state. Never shown anywhere.</summary>
    internal string Value => Encoding.ASCII.GetString(_value);

    /// <summary>Compares in constant time and updates the retry counter.</summary>
    public PinCheck Check(ReadOnlySpan<byte> candidate)
    {
        if (IsBlocked)
        {
            return PinCheck.Blocked;
        }
        if (CryptographicOperations.FixedTimeEquals(candidate, _value))
        {
            TriesLeft = MaxTries;
            return PinCheck.Correct;
        }
        TriesLeft--;
        return PinCheck.Wrong;
    }

    /// <summary>Sets a new PIN and restores the counter (CHANGE REFERENCE DATA, RESET RETRY COUNTER).</summary>
    public void Set(ReadOnlySpan<byte> newValue)
    {
        _value = newValue.ToArray();
        TriesLeft = MaxTries;
    }
}
