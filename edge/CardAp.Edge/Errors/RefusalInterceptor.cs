using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace CardAp.Edge.Errors;

/// <summary>
/// Turns <see cref="EdgeRefusal"/> into an RpcException with the right status code and the
/// messages for people in trailers (Japanese as a binary trailer, since metadata is ASCII).
/// </summary>
public sealed class RefusalInterceptor(ILogger<RefusalInterceptor> logger) : Interceptor
{
    public const string ReasonTrailer = "cardap-reason";
    public const string MessageEnTrailer = "cardap-message-en";
    public const string MessageJaTrailer = "cardap-message-ja-bin";
    public const string FieldTrailer = "cardap-field";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (EdgeRefusal refusal)
        {
            throw ToRpc(refusal, context.Method);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (EdgeRefusal refusal)
        {
            throw ToRpc(refusal, context.Method);
        }
    }

    private RpcException ToRpc(EdgeRefusal refusal, string method)
    {
        RefusalStatus.Log(logger, method, refusal);
        var trailers = new Metadata
        {
            { ReasonTrailer, refusal.Reason },
            { MessageEnTrailer, AsciiOnly(refusal.MessageEn) },
            { MessageJaTrailer, Encoding.UTF8.GetBytes(refusal.MessageJa) },
        };
        if (refusal.Field is { } field)
        {
            trailers.Add(FieldTrailer, AsciiOnly(field));
        }
        return new RpcException(new Status(refusal.Code, refusal.MessageEn), trailers);
    }

    private static string AsciiOnly(string text) =>
        new(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
