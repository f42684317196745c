using System.Text.Json.Nodes;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Validation;

/// <summary>
/// The checks a master row passes before the hub stores it: service tuning against each service's
/// settings schema, service hours and closure days against the edge's schedule rules. Rows of
/// other kinds pass untouched.
/// </summary>
public sealed class MasterValidator(ServiceTuningValidator tuning)
{
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming every problem (<see cref="MasterProblems.Refusal"/>).</exception>
    public async Task EnsureValidAsync(MunicipalityCode municipality, string kind, string key, JsonObject payload, CancellationToken cancellationToken = default)
    {
        var problems = (await tuning.ValidateAsync(municipality, kind, key, payload, cancellationToken))
            .Concat(ServiceHoursValidator.Validate(kind, key, payload))
            .ToList();
        if (problems.Count > 0)
        {
            throw MasterProblems.Refusal(kind, key, problems);
        }
    }
}
