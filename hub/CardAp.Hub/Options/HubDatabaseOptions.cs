using CardAp.Hub.Store;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Options;

/// <summary>Where the hub keeps all of its state (section "Hub:Database"); SQLite is the one-box default.</summary>
public sealed class HubDatabaseOptions
{
    public const string Section = "Hub:Database";

    public HubEngine Engine { get; set; } = HubEngine.Sqlite;

    public string ConnectionString { get; set; } = "Data Source=hub.db";

    /// <summary>Apply pending migrations at start; off when IT runs them as a separate step.</summary>
    public bool MigrateAtStart { get; set; } = true;
}

public sealed class HubDatabaseOptionsValidator : IValidateOptions<HubDatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, HubDatabaseOptions options) =>
        string.IsNullOrWhiteSpace(options.ConnectionString)
            ? ValidateOptionsResult.Fail($"{HubDatabaseOptions.Section}:ConnectionString is required for engine {options.Engine}.")
            : ValidateOptionsResult.Success;
}
