using CardAp.Shared.Services;

namespace CardAp.Edge.Services;

/// <summary>
/// One resident service (library, shelter, points, ...) behind the single interface the terminal
/// pipeline knows. The pipeline does everything common (request validation, operator role, kiosk
/// rule, service hours, offline policy, resident identification, training flag, durable recording
/// with the audit entry); a module only declares its operations and settings and decides one
/// operation against its own rules and the local records.
/// </summary>
public interface IServiceModule
{
    /// <summary>Stable id, used in requests, records and master data ("library").</summary>
    string Id { get; }

    string NameEn { get; }

    string NameJa { get; }

    IReadOnlyList<OperationDefinition> Operations { get; }

    /// <summary>Tunable settings (チューニング) with defaults and validation; tuning comes from master data.</summary>
    IReadOnlyList<SettingDefinition> Settings { get; }

    /// <summary>
    /// What tuning may change: the shared contract the hub validates tuning rows against. A module's
    /// id, names, settings and each operation's offline default and kiosk use are this schema's.
    /// </summary>
    ServiceSchema Schema { get; }

    /// <summary>
    /// Decides one operation. Return what to record, or throw <see cref="Errors.EdgeRefusal"/>
    /// (via <see cref="Errors.EdgeRefusal.Rule"/>) with the reason. Runs under the pipeline's
    /// write lock, so a check against local records cannot race another operation.
    /// </summary>
    OperationOutcome Execute(OperationContext context);
}
