using System.Text;
using CardAp.Hub.Errors;
using CardAp.Hub.Security;
using Grpc.Core;

namespace CardAp.Hub.Dashboard;

/// <summary>
/// What every dashboard request passes before its handler, as every gRPC call passes the
/// interceptors: the client certificate not revoked (<see cref="RevocationGate"/>, read on every
/// request) and naming an administrator (<see cref="TenantScope.RequireAdmin"/>). TLS has already
/// refused a missing certificate or one the hub CA did not issue. The hub's refusals
/// (<see cref="HubRefusal"/>, here and from <see cref="Api.ReportQueries"/>) become HTTP statuses with
/// the same reason and texts: JSON for the API, plain text for the page.
/// </summary>
public sealed class DashboardGate(RevocationGate revocation, ILogger<DashboardGate> logger) : IEndpointFilter
{
    public const string CrossSiteReason = "CrossSiteRequest";

    // The page loads only its own files and calls only its own API; no page of another site may frame it.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var api = DashboardEndpoints.IsApi(http.Request);
        SetHeaders(http.Response);
        try
        {
            if (api && IsCrossSite(http.Request))
            {
                // The browser sends the administrator's certificate with requests other sites' pages make too;
                // the same-origin policy keeps them from reading the answer, and this keeps them from asking.
                throw HubRefusal.PermissionDenied(CrossSiteReason,
                    "The dashboard's API answers only the dashboard's own page.",
                    "ダッシュボードのAPIはダッシュボード自身の画面からのみ利用できます。");
            }
            await revocation.EnsureNotRevokedAsync(http, $"{http.Request.Method} {http.Request.Path}", http.RequestAborted);
            TenantScope.RequireAdmin(http.GetCaller());
            return await next(context);
        }
        catch (RpcException e) when (HttpStatus(e.StatusCode) is { } status)
        {
            var problem = new DashboardProblem(
                e.Trailers.GetValue(HubRefusal.ReasonTrailer) ?? e.StatusCode.ToString(),
                e.Status.Detail,
                e.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer) is { } japanese ? Encoding.UTF8.GetString(japanese) : e.Status.Detail);
            if (status != StatusCodes.Status400BadRequest)
            {
                logger.LogWarning("Dashboard {Method} {Path} refused for {Subject}: {Reason}: {Message}",
                    http.Request.Method, http.Request.Path.Value, http.Connection.ClientCertificate?.Subject, problem.Reason, problem.Message);
            }
            return api
                ? Results.Json(problem, statusCode: status)
                : Results.Text($"{status} {problem.MessageJa}\n{problem.Message}\n", "text/plain; charset=utf-8", statusCode: status);
        }
    }

    /// <summary>Sec-Fetch-Site as browsers send it; tools that send none (curl, scripts) are not browsers acting for another site.</summary>
    private static bool IsCrossSite(HttpRequest request) =>
        request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site && site is not ("same-origin" or "none");

    private static int? HttpStatus(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        _ => null,
    };

    private static void SetHeaders(HttpResponse response)
    {
        // Usage figures are not for shared caches or the browser's history.
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
