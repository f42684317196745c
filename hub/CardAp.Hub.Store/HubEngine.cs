namespace CardAp.Hub.Store;

/// <summary>The database engines the hub store runs on.</summary>
public enum HubEngine
{
    /// <summary>SQLite (Microsoft.Data.Sqlite): the embedded default for a one-box pilot and the demo.</summary>
    Sqlite,

    /// <summary>PostgreSQL (Npgsql).</summary>
    PostgreSql,

    /// <summary>SQL Server (Microsoft.Data.SqlClient): production.</summary>
    SqlServer,
}
