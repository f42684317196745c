namespace CardAp.VirtualCard.Files;

/// <summary>
/// Decides, at the moment of the command, whether the current security state of the applet
/// allows an operation on a file. Evaluated per command because the state (PIN verified,
/// issuer authenticated) changes during a session.
/// </summary>
public delegate bool AccessCondition();

/// <summary>The access conditions every applet needs.</summary>
public static class AccessConditions
{
    public static readonly AccessCondition Always = () => true;

    /// <summary>For files whose content must never cross the interface, such as key and PIN EFs.</summary>
    public static readonly AccessCondition Never = () => false;
}
