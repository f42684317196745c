using CardAp.Shared.Domain;
using CardAp.Edge.Master;
using CardAp.Edge.Services.Modules;
using CardAp.Edge.Store;
using CardAp.Shared.Services;

namespace CardAp.Edge.Services;

/// <summary>
/// The services this terminal offers: the built-in modules plus the attendance services that
/// master data defines, each with its tuning applied. Rebuilt when master data changes.
/// </summary>
public sealed class ServiceCatalog(MasterData master, ILogger<ServiceCatalog> logger)
{
    private readonly Lock _gate = new();
    private (long Version, IReadOnlyDictionary<string, TunedService> Services)? _current;

    public IReadOnlyDictionary<string, TunedService> Services
    {
        get
        {
            var version = master.Version;
            lock (_gate)
            {
                if (_current is { } current && current.Version == version)
                {
                    return current.Services;
                }
                var services = Build();
                _current = (version, services);
                return services;
            }
        }
    }

    public TunedService? Find(string id) => Services.GetValueOrDefault(id);

    private Dictionary<string, TunedService> Build()
    {
        var modules = new List<IServiceModule>(BuiltInModules.All);
        modules.AddRange(AttendanceDefinitions.Load(master, error => logger.LogError("Attendance definition refused: {Error}", error)));
        var result = new Dictionary<string, TunedService>(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            var tuning = master.Get<ServiceTuningRow>(MasterKinds.ServiceTuning, module.Id);
            if (tuning is { Enabled: false })
            {
                continue;
            }
            result[module.Id] = new TunedService(module, EffectiveSettings(module, tuning), tuning);
        }
        return result;
    }

    private Dictionary<string, string> EffectiveSettings(IServiceModule module, ServiceTuningRow? tuning)
    {
        var values = module.Settings.ToDictionary(s => s.Name, s => s.Default, StringComparer.Ordinal);
        foreach (var (name, value) in tuning?.Settings ?? [])
        {
            var definition = module.Settings.FirstOrDefault(s => s.Name == name);
            var error = definition is null ? $"{module.Id} has no setting '{name}'." : definition.Validate(value);
            if (error is null)
            {
                values[name] = value;
            }
            else
            {
                // A bad tuned value falls back to the default rather than stopping the service.
                logger.LogError("Tuning of {Service} ignored: {Error}", module.Id, error);
            }
        }
        return values;
    }
}

/// <summary>A module with its effective settings and tuning.</summary>
public sealed record TunedService(IServiceModule Module, IReadOnlyDictionary<string, string> Settings, ServiceTuningRow? Tuning)
{
    public OperationDefinition? Operation(string name) => Module.Operations.FirstOrDefault(o => o.Name == name);

    /// <summary>Tuning may tighten the offline policy of an operation, never loosen it.</summary>
    public OfflinePolicy OfflinePolicy(OperationDefinition operation) =>
        Tuning?.Offline?.GetValueOrDefault(operation.Name) is { } tuned && Enum.TryParse<OfflinePolicy>(tuned, ignoreCase: true, out var policy) && policy > operation.OfflineDefault
            ? policy
            : operation.OfflineDefault;

    /// <summary>Tuning may switch kiosk use of an operation off, never on.</summary>
    public bool KioskAllowed(OperationDefinition operation) =>
        operation.KioskAllowed && Tuning?.Kiosk?.GetValueOrDefault(operation.Name) is not false;
}
