namespace CardAp.Edge.Store;

/// <summary>One schema step: applied once, in version order, in its own transaction with its schema_migrations row.</summary>
internal sealed record Migration(int Version, string Name, string Sql);
