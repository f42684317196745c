namespace CardAp.VirtualCard.State;

/// <summary>A card state file is missing, corrupt, foreign or of an unsupported version.</summary>
public sealed class VirtualCardStateException : Exception
{
    public VirtualCardStateException(string message) : base(message)
    {
    }

    public VirtualCardStateException(string message, Exception? inner) : base(message, inner)
    {
    }
}
