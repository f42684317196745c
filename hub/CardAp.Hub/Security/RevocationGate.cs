using System.Text.Json.Nodes;
using CardAp.Hub.Errors;
using CardAp.Hub.Store;
using CardAp.Shared.Domain;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace CardAp.Hub.Security;

/// <summary>
/// Whether the caller of this call may still call at all (ADR 0008): its client certificate is not in
/// revoked_certificates, and, for a terminal, its terminal master row does not say "revoked" or
/// "retired". Read from the database on every call, without a cache, so a revocation holds from the
/// very next call on every hub process sharing the database.
/// </summary>
public sealed class RevocationGate(RevokedCertificateStore revoked, IMasterStore master, ILogger<RevocationGate> logger)
{
    public const string CertificateRevokedReason = "CertificateRevoked";
    public const string TerminalRevokedReason = "TerminalRevoked";

    /// <summary>Terminal statuses that withdraw a terminal; any other status (or no row) lets it call.</summary>
    public static readonly IReadOnlySet<string> WithdrawnTerminalStatuses = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "revoked", "retired" };

    /// <exception cref="RpcException">UNAUTHENTICATED, reason <see cref="CertificateRevokedReason"/> or <see cref="TerminalRevokedReason"/>.</exception>
    public Task EnsureNotRevokedAsync(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return EnsureNotRevokedAsync(context.GetHttpContext(), context.Method, context.CancellationToken);
    }

    /// <summary>The same check for a plain HTTP request (the dashboard); <paramref name="operation"/> names it in the log.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED, reason <see cref="CertificateRevokedReason"/> or <see cref="TerminalRevokedReason"/>.</exception>
    public async Task EnsureNotRevokedAsync(HttpContext http, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var certificate = http.Connection.ClientCertificate;
        if (certificate is null)
        {
            return; // Kestrel requires one; GetCaller refuses the call anyway.
        }
        var revocation = await revoked.GetAsync(certificate.SerialNumber, cancellationToken);
        if (revocation is not null)
        {
            logger.LogWarning("{Method} refused: certificate {Serial} ({Subject}) was revoked at {RevokedAt:O} by {RevokedBy}",
                operation, revocation.Serial, revocation.Subject, revocation.RevokedAt, revocation.RevokedBy);
            throw HubRefusal.Unauthenticated(CertificateRevokedReason,
                $"This client certificate (serial {revocation.Serial}) has been revoked; ask central IT for a new one.",
                $"このクライアント証明書(シリアル番号{revocation.Serial})は失効しています。中央のシステム管理者に新しい証明書を依頼してください。");
        }

        CallerIdentity caller;
        try
        {
            caller = http.GetCaller();
        }
        catch (RpcException)
        {
            // No valid identity, so no terminal row to look at; every RPC refuses such a caller through GetCaller.
            return;
        }
        if (caller.Kind != CallerKind.Terminal)
        {
            return;
        }
        var row = await master.GetAsync(caller.Municipalities[0], MasterKinds.Terminal, caller.Id, cancellationToken);
        if (Status(row) is { } status && WithdrawnTerminalStatuses.Contains(status))
        {
            logger.LogWarning("{Method} refused: terminal {Terminal} is {Status} in the master data", operation, caller.Id, status);
            var retired = status.Equals("retired", StringComparison.OrdinalIgnoreCase);
            throw HubRefusal.Unauthenticated(TerminalRevokedReason,
                $"Terminal {caller.Id} is {(retired ? "retired" : "revoked")} in the hub's master data and may no longer call the hub.",
                $"端末{caller.Id}はハブのマスタで{(retired ? "廃止" : "失効")}となっているため、ハブを利用できません。");
        }
    }

    private static string? Status(MasterRow? row)
    {
        if (row?.PayloadJson is null)
        {
            return null;
        }
        return JsonNode.Parse(row.PayloadJson) is JsonObject payload && payload["status"] is JsonValue value && value.TryGetValue<string>(out var status)
            ? status
            : null;
    }
}

/// <summary>
/// Runs <see cref="RevocationGate"/> before every gRPC method of the hub, of every service (health
/// included), so no RPC can forget the check. Registered first, it runs before any other interceptor.
/// </summary>
public sealed class RevocationInterceptor(RevocationGate gate) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await gate.EnsureNotRevokedAsync(context);
        return await continuation(request, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await gate.EnsureNotRevokedAsync(context);
        return await continuation(requestStream, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await gate.EnsureNotRevokedAsync(context);
        await continuation(request, responseStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await gate.EnsureNotRevokedAsync(context);
        await continuation(requestStream, responseStream, context);
    }
}
