namespace CardAp.VirtualCard.State;

/// <summary>
/// Persistent state of the CardAp applet: the issuer's public key it was installed with
/// (SubjectPublicKeyInfo DER), the PIN and its counter, the card key (PKCS#8 DER, null before
/// GENERATE ASYMMETRIC KEY PAIR) and the content of its EFs.
/// </summary>
public sealed record CardApAppletState(
    byte[] IssuerPublicKey,
    PinState Pin,
    byte[]? CardPrivateKey,
    IReadOnlyList<FileState> Files) : AppletState;
