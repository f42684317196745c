namespace CardAp.Edge.Store;

/// <summary>
/// The store cannot be used as configured: a database newer than this edge, a database of another
/// terminal, a file that is not an edge database, a journal mode the file system refuses.
/// The message says what to do.
/// </summary>
public sealed class StoreException : Exception
{
    public StoreException(string message) : base(message)
    {
    }

    public StoreException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
