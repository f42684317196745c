namespace CardAp.VirtualCard.State;

/// <summary>
/// A whole virtual card as saved to a JSON file: ATR and every applet's persistent state,
/// including private keys and PINs. The file is as secret as the card it describes.
/// </summary>
public sealed record VirtualCardState
{
    /// <summary>Marks the file as ours, so a foreign JSON file is refused with a clear message.</summary>
    public const string FormatName = "cardap-virtual-card";

    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = CurrentVersion;

    /// <summary>Answer-to-reset as hex.</summary>
    public required string Atr { get; init; }

    public required IReadOnlyList<AppletState> Applets { get; init; }
}
