using System.Security.Cryptography.X509Certificates;
using CardAp.Hub.Errors;
using Grpc.Core;

namespace CardAp.Hub.Security;

/// <summary>Who is calling: the identity in the TLS client certificate of the current call.</summary>
public interface ICallerAccessor
{
    /// <exception cref="RpcException">UNAUTHENTICATED when the certificate is missing or names no valid identity.</exception>
    CallerIdentity GetCaller(ServerCallContext context);
}

/// <inheritdoc />
public sealed class CallerAccessor(ILogger<CallerAccessor> logger) : ICallerAccessor
{
    public CallerIdentity GetCaller(ServerCallContext context)
    {
        try
        {
            return context.GetCaller();
        }
        catch (RpcException e)
        {
            // The certificate passed TLS, so the hub CA issued it: a provisioning mistake worth a warning.
            logger.LogWarning("{Method} refused: {Reason}: {Message}", context.Method, e.Trailers.GetValue(HubRefusal.ReasonTrailer), e.Status.Detail);
            throw;
        }
    }
}

public static class CallerContextExtensions
{
    public const string MissingCertificateReason = "NoClientCertificate";
    public const string InvalidIdentityReason = "InvalidClientIdentity";

    private static readonly object ItemKey = new();

    /// <summary>The caller's identity from the client certificate (parsed once per call).</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED when the certificate is missing or names no valid identity.</exception>
    public static CallerIdentity GetCaller(this ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetHttpContext().GetCaller();
    }

    /// <summary>The caller's identity from the client certificate of a plain HTTP request (the dashboard), parsed once per request.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED when the certificate is missing or names no valid identity.</exception>
    public static CallerIdentity GetCaller(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items.TryGetValue(ItemKey, out var cached) && cached is CallerIdentity known)
        {
            return known;
        }
        var identity = FromClientCertificate(http.Connection.ClientCertificate);
        http.Items[ItemKey] = identity;
        return identity;
    }

    /// <exception cref="RpcException">UNAUTHENTICATED when the certificate is missing or names no valid identity.</exception>
    public static CallerIdentity FromClientCertificate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            // Kestrel requires a certificate, so this means a misconfigured listener; refuse anyway.
            throw HubRefusal.Unauthenticated(MissingCertificateReason,
                "The call carries no client certificate.",
                "クライアント証明書がありません。");
        }
        try
        {
            return CallerIdentity.FromCertificate(certificate);
        }
        catch (FormatException e)
        {
            throw HubRefusal.Unauthenticated(InvalidIdentityReason,
                $"The client certificate names no valid caller: {e.Message}",
                $"クライアント証明書の利用者情報が正しくありません: {e.Message}");
        }
    }
}
