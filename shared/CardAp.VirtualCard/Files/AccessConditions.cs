namespace CardAp.VirtualCard.Files;

/// <summary>The access conditions every applet needs.</summary>
public static class AccessConditions
{
    public static readonly AccessCondition Always = () => true;

    /// <summary>For files whose content must never cross the interface, such as key and PIN EFs.</summary>
    public static readonly AccessCondition Never = () => false;
}
