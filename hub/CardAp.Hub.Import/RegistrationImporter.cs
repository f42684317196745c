using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Hub.Store;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Import;

/// <summary>
/// Plans and applies a differential import of service registrations against the hub's master
/// rows (kind "registration", key "card/service"). Apply is one store transaction, so an import
/// is all or nothing, and each change gets its place in the municipality's change sequence.
/// </summary>
public sealed class RegistrationImporter(IMasterStore store)
{
    public const string Kind = MasterKinds.Registration;

    /// <summary>The dry run: what applying the file would change, and its bad rows.</summary>
    /// <exception cref="FormatException">The file itself is unusable.</exception>
    public async Task<ImportPlan> PlanAsync(MunicipalityCode municipality, ReadOnlyMemory<byte> file, CancellationToken cancellationToken = default)
    {
        var rows = RegistrationCsv.Read(file.Span, municipality);
        var current = (await store.ListAsync(municipality, Kind, cancellationToken)).Select(FromRow).ToList();
        return ImportPlan.Create(rows, current);
    }

    /// <summary>Plans, then writes adds, changes and removals in one transaction; returns the plan applied.</summary>
    public Task<ImportPlan> ApplyAsync(MunicipalityCode municipality, ReadOnlyMemory<byte> file, CancellationToken cancellationToken = default) =>
        ApplyAsync(municipality, file, _ => [], cancellationToken);

    /// <summary>As <see cref="ApplyAsync(MunicipalityCode, ReadOnlyMemory{byte}, CancellationToken)"/>, with the hub audit entries describing the plan in the same transaction.</summary>
    public async Task<ImportPlan> ApplyAsync(MunicipalityCode municipality, ReadOnlyMemory<byte> file, Func<ImportPlan, IReadOnlyList<HubAuditEntry>> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        var plan = await PlanAsync(municipality, file, cancellationToken);
        var edits = new List<MasterEdit>();
        edits.AddRange(plan.Adds.Select(r => MasterEdit.Upsert(Kind, Key(r), ToPayload(r))));
        edits.AddRange(plan.Changes.Select(c => MasterEdit.Upsert(Kind, Key(c.After), ToPayload(c.After))));
        edits.AddRange(plan.Removals.Select(r => MasterEdit.Delete(Kind, Key(r))));
        if (edits.Count > 0)
        {
            await store.ApplyAsync(municipality, edits, audit(plan), cancellationToken);
        }
        return plan;
    }

    private static string Key(RegistrationRow row) => $"{row.Card.Value}/{row.Service.Value}";

    private static JsonObject ToPayload(RegistrationRow row) => new()
    {
        ["cardNumber"] = row.Card.Value,
        ["service"] = row.Service.Value,
        ["member"] = row.Member.Value,
        ["status"] = row.Status == RegistrationStatus.Active ? "active" : "stopped",
        ["registeredOn"] = row.RegisteredOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["name"] = row.Name,
    };

    private static RegistrationRow FromRow(MasterRow row)
    {
        var p = row.Payload() ?? throw new InvalidOperationException($"Registration {row.Key} has no payload.");
        return new RegistrationRow(
            CardNumber.Parse((string)p["cardNumber"]!),
            ServiceId.Parse((string)p["service"]!),
            MemberNumber.Parse((string)p["member"]!),
            (string)p["status"]! == "active" ? RegistrationStatus.Active : RegistrationStatus.Stopped,
            DateOnly.ParseExact((string)p["registeredOn"]!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            (string?)p["name"] ?? string.Empty);
    }
}
