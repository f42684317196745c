using CardAp.VirtualCard.Jpki;

namespace CardAp.VirtualCard.State;

/// <summary>Persistent state of the JPKI applet: the two key sets (signing is optional) and both PINs.</summary>
public sealed record JpkiAppletState(
    JpkiCertificateSet Authentication,
    PinState AuthenticationPin,
    JpkiCertificateSet? Signing,
    PinState SigningPin) : AppletState;
