namespace CardAp.VirtualCard.State;

/// <summary>A PIN with its retry counter as saved in a card state file.</summary>
public sealed record PinState(string Value, int MaxTries, int TriesLeft);
