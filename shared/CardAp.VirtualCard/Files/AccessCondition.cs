namespace CardAp.VirtualCard.Files;

/// <summary>
/// Decides, at the moment of the command, whether the current security state of the applet
/// allows an operation on a file. Evaluated per command because the state (PIN verified,
/// issuer authenticated) changes during a session.
/// </summary>
public delegate bool AccessCondition();
