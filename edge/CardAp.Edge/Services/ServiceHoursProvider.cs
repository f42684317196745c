using CardAp.Shared.Domain;
using System.Globalization;
using CardAp.Edge.Errors;
using CardAp.Shared.Hours;
using CardAp.Edge.Master;
using CardAp.Edge.Store;

namespace CardAp.Edge.Services;

/// <summary>
/// Each service's hours (サービス時間) from master data: weekly schedule, national holidays and
/// local closures. A service without an hours row is open whenever the terminal runs (that is
/// the municipality's choice to make in master data, e.g. for shelters); a broken row closes the
/// service rather than guessing, and says so.
/// </summary>
public sealed class ServiceHoursProvider(MasterData master, ILogger<ServiceHoursProvider> logger)
{
    private readonly Lock _gate = new();
    private (long Version, Dictionary<string, ServiceSchedule?> Schedules)? _cache;

    public ServiceHoursStatus Status(TunedService service, DateTimeOffset now)
    {
        var schedule = Schedule(service.Module.Id);
        if (schedule is null)
        {
            return new ServiceHoursStatus.Closed(now, ClosedReason.OutsideHours, null, null, null,
                $"{service.Module.NameEn} is closed: its service hours are misconfigured. Please contact the system administrator.",
                $"{service.Module.NameJa}はサービス時間の設定に誤りがあるため休止中です。システム管理者に連絡してください。");
        }
        return schedule.Evaluate(now, service.Module.NameEn, service.Module.NameJa);
    }

    /// <summary>Throws a refusal that says when the service opens, if it is closed now.</summary>
    public void EnsureOpen(TunedService service, DateTimeOffset now)
    {
        if (Status(service, now) is ServiceHoursStatus.Closed closed)
        {
            var reason = closed.Reason switch
            {
                ClosedReason.NationalHoliday => "Holiday",
                ClosedReason.LocalClosure => "LocalClosure",
                _ => "OutsideHours",
            };
            throw EdgeRefusal.Rule(reason, closed.MessageEn, closed.MessageJa);
        }
    }

    private ServiceSchedule? Schedule(string serviceId)
    {
        var version = master.Version;
        lock (_gate)
        {
            if (_cache is not { } cache || cache.Version != version)
            {
                cache = (version, new Dictionary<string, ServiceSchedule?>(StringComparer.Ordinal));
                _cache = cache;
            }
            if (!cache.Schedules.TryGetValue(serviceId, out var schedule))
            {
                schedule = Build(serviceId);
                cache.Schedules[serviceId] = schedule;
            }
            return schedule;
        }
    }

    private ServiceSchedule? Build(string serviceId)
    {
        var closures = master.All<ClosureRow>(MasterKinds.Closure)
            .Where(c => c.Service is null || c.Service == serviceId)
            .Select(c => DateOnly.TryParseExact(c.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? new LocalClosure(date, c.ReasonJa, c.ReasonEn)
                : null)
            .OfType<LocalClosure>()
            .DistinctBy(c => c.Date)
            .ToList();
        var row = master.Get<ServiceHoursRow>(MasterKinds.ServiceHours, serviceId);
        try
        {
            var schedule = row is null || row.AlwaysOpen
                ? ServiceSchedule.AlwaysOpen()
                : ServiceSchedule.FromText(row.Days ?? [], row.OpenOnHolidays);
            return closures.Count == 0 ? schedule : schedule.WithClosures(closures);
        }
        catch (ArgumentException e)
        {
            logger.LogError("Service hours of {Service} are invalid, the service stays closed: {Error}", serviceId, e.Message);
            return null;
        }
    }
}
