using CardAp.Edge.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CardAp.Edge.Diagnostics;

/// <summary>The terminal is healthy while its database answers; the gRPC health service reports this.</summary>
public sealed class StoreHealthCheck(EdgeDatabase database) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var connection = database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
            return Task.FromResult(HealthCheckResult.Healthy());
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The terminal database does not answer: " + e.Message));
        }
    }
}
