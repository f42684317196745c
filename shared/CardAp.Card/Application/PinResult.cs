using CardAp.Card.Iso7816;

namespace CardAp.Card.Application;

public enum PinOutcome
{
    Verified,
    Wrong,
    Blocked,
}

/// <summary>What the card said to a VERIFY: right, wrong with tries left, or blocked.</summary>
public sealed record PinResult(PinOutcome Outcome, int TriesLeft)
{
    public static readonly PinResult Verified = new(PinOutcome.Verified, -1);
    public static readonly PinResult Blocked = new(PinOutcome.Blocked, 0);

    public static PinResult FromStatus(StatusWord status, string operation) => status switch
    {
        { IsSuccess: true } => Verified,
        { IsVerificationFailed: true } when status.TriesLeft == 0 => Blocked,
        { IsVerificationFailed: true } => new PinResult(PinOutcome.Wrong, status.TriesLeft!.Value),
        _ when status == StatusWord.ReferenceDataNotUsable || status == StatusWord.AuthenticationMethodBlocked => Blocked,
        _ => throw new CardStatusException(operation, status),
    };

    /// <summary>PINs are 4 ASCII digits on both applications; checked before anything reaches a card or a log.</summary>
    public static byte[] EncodePin(string pin)
    {
        if (pin.Length != CardApSpec.PinLength || !pin.All(char.IsAsciiDigit))
        {
            throw new ArgumentException("A PIN is exactly 4 digits.", nameof(pin));
        }
        return System.Text.Encoding.ASCII.GetBytes(pin);
    }
}
