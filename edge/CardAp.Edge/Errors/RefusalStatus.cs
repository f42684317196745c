using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace CardAp.Edge.Errors;

/// <summary>
/// How a refusal travels, whichever door it leaves by: each refusal names one gRPC status
/// (<see cref="EdgeRefusal.Code"/>); the terminal API sends it as is (<see cref="RefusalInterceptor"/>)
/// and the screen's JSON API as the HTTP status of the same meaning, so the two cannot drift apart.
/// </summary>
public static class RefusalStatus
{
    /// <summary>
    /// The HTTP status for a gRPC status: Google's published mapping (google/rpc/code.proto), which
    /// gRPC gateways use too, so a client that knows one knows the other.
    /// </summary>
    public static int Http(StatusCode code) => code switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.Cancelled => StatusCodes.Status499ClientClosedRequest,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>One log line per refusal, the same for both doors. Refusals are normal business: information, not errors; PINs never reach these messages.</summary>
    public static void Log(ILogger logger, string method, EdgeRefusal refusal) =>
        logger.LogInformation("{Method} refused: {Reason}: {Message}", method, refusal.Reason, refusal.MessageEn);
}
