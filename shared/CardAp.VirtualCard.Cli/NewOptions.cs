namespace CardAp.VirtualCard.Cli;

internal sealed record NewOptions(
    FileInfo StateFile,
    FileInfo? IssuerKey,
    string Pin,
    bool Jpki,
    FileInfo? Authority,
    FileInfo? CaCertificateOut,
    string AuthenticationPin,
    string SigningPin);
