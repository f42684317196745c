namespace CardAp.Edge.Store;

/// <summary>
/// The outcome of <c>PRAGMA wal_checkpoint(TRUNCATE)</c>: <see cref="Complete"/> when every WAL
/// frame reached the database file and the WAL was truncated (false when a reader held it back).
/// </summary>
public readonly record struct CheckpointResult(bool Complete, long LogFrames, long CheckpointedFrames);
