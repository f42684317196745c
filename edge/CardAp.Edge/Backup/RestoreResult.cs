namespace CardAp.Edge.Backup;

/// <summary>
/// A completed restore: the database now holds the backup's content. The database it replaced (if
/// any) was kept as <see cref="PreviousDatabase"/> (with its -wal, if it had one) for investigation.
/// </summary>
public sealed record RestoreResult(string DatabasePath, string BackupPath, string? PreviousDatabase, string TerminalId, long LastTransactionSeq, long LastAuditSeq);
