using CardAp.Sync.Edge;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Sync;

/// <summary>
/// Sync with the hub (section "Edge:Sync"), validated at start-up. The hub's address and the
/// terminal's mutual-TLS files are the ones in <see cref="Options.EdgeOptions"/>; with no hub
/// address the terminal does not sync.
/// </summary>
public sealed class EdgeSyncOptions
{
    public const string Section = "Edge:Sync";

    /// <summary>Time between syncs while they succeed.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Records per Push (1 to 1000).</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Master rows per Pull or Snapshot page (1 to 5000). 5000 makes a first start of 100,000 rows 0.2 to 0.3 s faster but peaks about 8 MB higher, past the 130 MB target (docs/benchmarks.md).</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>The deadline of each call to the hub.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an online-only operation waits for the hub's decision before the clerk is told it is
    /// not settled yet (the record stays and is settled by a retry or the next sync).
    /// </summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The backoff after the first failure: the wait is random up to this, doubling with each failure in a row.</summary>
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest backoff, however many failures in a row.</summary>
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Start-up validation of <see cref="EdgeSyncOptions"/>, naming each setting.</summary>
public sealed class EdgeSyncOptionsValidator : IValidateOptions<EdgeSyncOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeSyncOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        Range(errors, "Interval", options.Interval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(errors, "CallTimeout", options.CallTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(errors, "ConfirmTimeout", options.ConfirmTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));
        Range(errors, "BackoffBase", options.BackoffBase, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(errors, "BackoffMax", options.BackoffMax, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        if (options.BackoffMax < options.BackoffBase)
        {
            errors.Add($"{EdgeSyncOptions.Section}:BackoffMax ({options.BackoffMax}) must not be shorter than {EdgeSyncOptions.Section}:BackoffBase ({options.BackoffBase}).");
        }
        if (options.BatchSize is < 1 or > SyncEngineOptions.MaxBatchSize)
        {
            errors.Add($"{EdgeSyncOptions.Section}:BatchSize must be 1 to {SyncEngineOptions.MaxBatchSize} (the hub's limit per Push), got {options.BatchSize}.");
        }
        if (options.PageSize is < 1 or > SyncEngineOptions.MaxPageSize)
        {
            errors.Add($"{EdgeSyncOptions.Section}:PageSize must be 1 to {SyncEngineOptions.MaxPageSize} (the hub's limit per page), got {options.PageSize}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string setting, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{EdgeSyncOptions.Section}:{setting} must be between {min:c} and {max:c}, got {value:c}.");
        }
    }
}
