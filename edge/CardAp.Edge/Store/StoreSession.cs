using Microsoft.Data.Sqlite;

namespace CardAp.Edge.Store;

/// <summary>
/// A long-lived connection with its commands cached by SQL text, so each statement is prepared once
/// per connection, not once per call. The writer session is used only under
/// <see cref="EdgeDatabase"/>'s writer lock; reader sessions are rented from its pool, one caller at a time.
/// </summary>
internal sealed class StoreSession(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteConnection Connection => connection;

    /// <summary>The cached command for this SQL, parameters cleared.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            _commands.Add(sql, command);
        }
        command.Parameters.Clear();
        return command;
    }

    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = Command(sql);
        Bind(command, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>
    /// Runs every statement of a multi-statement script, surfacing an error in any of them
    /// (ExecuteNonQuery can lose an error raised after a statement that returned rows).
    /// </summary>
    public void ExecuteScript(string sql) => RunScript(Command(sql));

    public static void RunScript(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        while (reader.NextResult())
        {
        }
    }

    public object? Scalar(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = Command(sql);
        Bind(command, parameters);
        using var reader = command.ExecuteReader();
        return reader.Read() && !reader.IsDBNull(0) ? reader.GetValue(0) : null;
    }

    public SqliteDataReader Reader(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = Command(sql);
        Bind(command, parameters);
        return command.ExecuteReader();
    }

    /// <summary>The value of a sync_state key, or null.</summary>
    public string? State(string key) => (string?)Scalar("SELECT value FROM sync_state WHERE key = $key", ("$key", key));

    public void SetState(string key, string value) =>
        Execute("INSERT INTO sync_state (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ("$key", key), ("$value", value));

    public static void Bind(SqliteCommand command, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
        connection.Dispose();
    }
}
