namespace CardAp.Edge.Backup;

/// <summary>A finished backup in the backup directory; <see cref="CreatedAt"/> (Japan time, to the second) comes from its name.</summary>
public sealed record BackupFile(string Path, DateTimeOffset CreatedAt, int Counter, long Bytes);
