namespace CardAp.Edge.Store;

/// <summary>A master data row as stored: its JSON payload and the hub change sequence that wrote it (0 from a snapshot).</summary>
public sealed record MasterRow(string Kind, string Key, string PayloadJson, long Version);
