namespace CardAp.Edge.Backup;

/// <summary>A backup or restore did not complete; the message says why and what was left behind (nothing, for a failed backup).</summary>
public sealed class BackupException : Exception
{
    public BackupException(string message) : base(message)
    {
    }

    public BackupException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
