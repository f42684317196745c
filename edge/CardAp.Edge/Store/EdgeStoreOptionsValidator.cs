using Microsoft.Extensions.Options;

namespace CardAp.Edge.Store;

/// <summary>Start-up validation of <see cref="EdgeStoreOptions"/> with messages an installer can act on.</summary>
public sealed class EdgeStoreOptionsValidator : IValidateOptions<EdgeStoreOptions>
{
    public const int MaxTerminalIdLength = 32;

    public ValidateOptionsResult Validate(string? name, EdgeStoreOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem (for code that builds the store without DI).</summary>
    public static void ThrowIfInvalid(EdgeStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Errors(options);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(EdgeStoreOptions), errors);
        }
    }

    private static List<string> Errors(EdgeStoreOptions options)
    {
        var errors = new List<string>();
        var section = EdgeStoreOptions.Section;
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            errors.Add($"{section}:DatabasePath is required: the edge's SQLite database file, e.g. /var/lib/cardap/edge.db.");
        }
        else if (options.DatabasePath.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || options.DatabasePath.EndsWith('/') || options.DatabasePath.EndsWith('\\'))
        {
            errors.Add($"{section}:DatabasePath '{options.DatabasePath}' is not a file path.");
        }

        if (string.IsNullOrWhiteSpace(options.TerminalId))
        {
            errors.Add($"{section}:TerminalId is required: this terminal's id as enrolled by central IT, e.g. 131016-T001.");
        }
        else if (options.TerminalId.Length > MaxTerminalIdLength || !options.TerminalId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            errors.Add($"{section}:TerminalId '{options.TerminalId}' must be 1 to {MaxTerminalIdLength} ASCII letters, digits or '-', e.g. 131016-T001.");
        }

        if (options.BackupsKept is < 1 or > 366)
        {
            errors.Add($"{section}:BackupsKept must be between 1 and 366, got {options.BackupsKept}.");
        }
        if (options.BackupDirectory is { } directory && directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"{section}:BackupDirectory '{directory}' is not a directory path.");
        }
        if (options.BusyTimeout < TimeSpan.Zero || options.BusyTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{section}:BusyTimeout must be between 00:00:00 and 00:05:00, got {options.BusyTimeout}.");
        }
        return errors;
    }
}
