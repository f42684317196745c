namespace CardAp.Edge.Store;

/// <summary>A telemetry record as stored.</summary>
public sealed record StoredTelemetry(long Seq, DateTimeOffset LocalTime, string Name, double Value, string DetailJson);
