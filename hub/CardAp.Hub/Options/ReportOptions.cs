using System.Globalization;
using CardAp.Hub.Store.Records;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Options;

/// <summary>Retention of usage records and tombstones (section "Hub:Retention"), run daily by every hub instance.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Hub:Retention";

    public bool Enabled { get; set; } = true;

    /// <summary>Days of usage records kept (by local day); five years by default, as municipal statistics are kept.</summary>
    public int RecordDays { get; set; } = 1827;

    /// <summary>
    /// Days a delete stays in the change feed. Longer than any terminal stays offline, so a terminal
    /// coming back still sees the delete; one further behind takes a full snapshot.
    /// </summary>
    public int TombstoneDays { get; set; } = 400;

    /// <summary>Japan time of day (HH:mm) of the daily run.</summary>
    public string DailyAt { get; set; } = "03:30";

    public RetentionPolicy Policy => new(RecordDays, TombstoneDays);

    public TimeOnly DailyAtTime => TimeOnly.ParseExact(DailyAt, "HH:mm", CultureInfo.InvariantCulture);
}

/// <summary>When the fleet view flags a terminal (section "Hub:Fleet").</summary>
public sealed class FleetOptions
{
    public const string Section = "Hub:Fleet";

    /// <summary>No contact for longer than this marks a terminal stale (terminals sync every few minutes).</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A clock further off than this is flagged: records carry the terminal's time, and card validity checks depend on it.</summary>
    public TimeSpan ClockSkewAlarm { get; set; } = TimeSpan.FromMinutes(2);
}

public sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var errors = new List<string>();
        if (options.RecordDays < Retention.MinRecordDays)
        {
            errors.Add($"{RetentionOptions.Section}:RecordDays is {options.RecordDays}; keep at least {Retention.MinRecordDays} days of records.");
        }
        if (options.TombstoneDays < Retention.MinTombstoneDays)
        {
            errors.Add($"{RetentionOptions.Section}:TombstoneDays is {options.TombstoneDays}; keep at least {Retention.MinTombstoneDays} days of deletes.");
        }
        if (!TimeOnly.TryParseExact(options.DailyAt, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            errors.Add($"{RetentionOptions.Section}:DailyAt '{options.DailyAt}' is not a time of day as HH:mm, e.g. 03:30.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

public sealed class FleetOptionsValidator : IValidateOptions<FleetOptions>
{
    public ValidateOptionsResult Validate(string? name, FleetOptions options)
    {
        var errors = new List<string>();
        if (options.StaleAfter <= TimeSpan.Zero)
        {
            errors.Add($"{FleetOptions.Section}:StaleAfter must be positive, e.g. 00:30:00.");
        }
        if (options.ClockSkewAlarm <= TimeSpan.Zero)
        {
            errors.Add($"{FleetOptions.Section}:ClockSkewAlarm must be positive, e.g. 00:02:00.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
