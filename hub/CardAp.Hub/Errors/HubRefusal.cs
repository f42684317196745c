using System.Text;
using Grpc.Core;

namespace CardAp.Hub.Errors;

/// <summary>
/// The hub's refusals as RpcExceptions with the same trailers as the edge's (ADR 0005): a
/// machine-readable reason, the English text, and the Japanese text as a binary UTF-8 trailer.
/// The status detail is the English text.
/// </summary>
public static class HubRefusal
{
    public const string ReasonTrailer = "cardap-reason";
    public const string MessageEnTrailer = "cardap-message-en";
    public const string MessageJaTrailer = "cardap-message-ja-bin";

    public static RpcException Create(StatusCode code, string reason, string messageEn, string messageJa)
    {
        var trailers = new Metadata
        {
            { ReasonTrailer, AsciiOnly(reason) },
            { MessageEnTrailer, AsciiOnly(messageEn) },
            { MessageJaTrailer, Encoding.UTF8.GetBytes(messageJa) },
        };
        return new RpcException(new Status(code, messageEn), trailers);
    }

    /// <summary>The caller may not act for this municipality, or not call this at all.</summary>
    public static RpcException PermissionDenied(string reason, string messageEn, string messageJa) =>
        Create(StatusCode.PermissionDenied, reason, messageEn, messageJa);

    /// <summary>The client certificate names no valid identity.</summary>
    public static RpcException Unauthenticated(string reason, string messageEn, string messageJa) =>
        Create(StatusCode.Unauthenticated, reason, messageEn, messageJa);

    private static string AsciiOnly(string text) =>
        new(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
