using System.Text;
using System.Text.Json;
using CardAp.Edge.Api;
using CardAp.Edge.Errors;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace CardAp.Edge.Screen;

/// <summary>
/// The terminal API as JSON for the screen's pages: every unary RPC of terminal.proto as
/// <c>POST /api/{Method}</c> with the request message as protobuf JSON, answered with the reply
/// message; the reader events (<c>WatchReaders</c>) as Server-Sent Events on <c>GET /api/WatchReaders</c>.
/// The calls go to the very <see cref="TerminalService"/> methods the gRPC endpoint calls, taken
/// from the generated service binding, so there is no second implementation to keep in step.
/// Errors: the status of <see cref="RefusalStatus.Http"/> and a JSON body
/// <c>{reason, messageEn, messageJa, field, status}</c>.
/// </summary>
public sealed class ScreenApi
{
    public const string Prefix = "/api/";

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    private readonly Dictionary<string, Call> _calls = new(StringComparer.Ordinal);
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<ScreenApi> _logger;

    public ScreenApi(TerminalService service, IHostApplicationLifetime lifetime, ILogger<ScreenApi> logger)
    {
        _lifetime = lifetime;
        _logger = logger;
        Terminal.BindService(new Binder(_calls), service);
    }

    /// <summary>The methods offered, by name (e.g. SignIn); for documentation and tests.</summary>
    public IReadOnlyCollection<string> Methods => _calls.Keys;

    public async Task HandleAsync(HttpContext http)
    {
        var name = http.Request.Path.Value is { } path && path.StartsWith(Prefix, StringComparison.Ordinal) ? path[Prefix.Length..] : string.Empty;
        if (!_calls.TryGetValue(name, out var call))
        {
            await WriteErrorAsync(http, StatusCodes.Status404NotFound, "UnknownMethod",
                $"There is no API method '{Shorten(name)}'. The methods are those of terminal.proto: {string.Join(", ", _calls.Keys.Order(StringComparer.Ordinal))}.",
                $"API メソッド「{Shorten(name)}」はありません。terminal.proto のメソッド名を指定してください。");
            return;
        }
        var expected = call.Streaming ? HttpMethods.Get : HttpMethods.Post;
        if (!string.Equals(http.Request.Method, expected, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.Allow = expected;
            await WriteErrorAsync(http, StatusCodes.Status405MethodNotAllowed, "MethodNotAllowed",
                $"{name} is called with {expected}.", $"{name} は {expected} で呼び出してください。");
            return;
        }
        IMessage request;
        if (call.Streaming)
        {
            // EventSource sends no body: the stream's request (WatchReadersRequest) has no fields.
            request = call.Input.Parser.ParseFrom(ByteString.Empty);
        }
        else if (await ReadRequestAsync(http, call) is { } read)
        {
            request = read;
        }
        else
        {
            return;
        }
        var method = $"/{Terminal.Descriptor.FullName}/{name}";
        try
        {
            if (call.Streaming)
            {
                await StreamAsync(http, call, request, method);
            }
            else
            {
                var reply = await call.Unary!(request, new HttpCallContext(http, method, http.RequestAborted));
                http.Response.ContentType = "application/json; charset=utf-8";
                await http.Response.WriteAsync(Formatter.Format(reply), http.RequestAborted);
            }
        }
        catch (EdgeRefusal refusal)
        {
            RefusalStatus.Log(_logger, method, refusal);
            await WriteErrorAsync(http, RefusalStatus.Http(refusal.Code), refusal.Reason, refusal.MessageEn, refusal.MessageJa, refusal.Field, refusal.Code);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The page went away; nobody is left to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            // As on the gRPC endpoint: the detail goes to the log, never to the client.
            _logger.LogError(e, "{Method} failed", method);
            await WriteErrorAsync(http, StatusCodes.Status500InternalServerError, "Internal",
                "Something went wrong on this terminal, so it is not known whether the operation was recorded. Run the same operation again (it is never recorded twice); if this repeats, tell the system administrator.",
                "端末で予期しないエラーが発生したため、操作が記録されたかどうか分かりません。同じ操作をもう一度実行してください（二重には記録されません）。繰り返し発生する場合はシステム管理者に連絡してください。",
                status: StatusCode.Internal);
        }
    }

    // The request message, or null after answering why there is none.
    private async Task<IMessage?> ReadRequestAsync(HttpContext http, Call call)
    {
        // A form on another site may post here, but only as a "simple" request: insisting on JSON makes
        // the browser ask first (CORS preflight), which this API never grants.
        if (!MediaTypeIsJson(http.Request.ContentType))
        {
            await WriteErrorAsync(http, StatusCodes.Status415UnsupportedMediaType, "JsonRequired",
                "The request body must be JSON (Content-Type: application/json).",
                "リクエストの本文は JSON（Content-Type: application/json）で送ってください。");
            return null;
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = Extensions.EdgeServiceExtensions.MaxRequestBytes;
        }
        string body;
        try
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, "RequestTooLarge",
                $"The request body is larger than {Extensions.EdgeServiceExtensions.MaxRequestBytes / (1024 * 1024)} MiB.",
                $"リクエストの本文が {Extensions.EdgeServiceExtensions.MaxRequestBytes / (1024 * 1024)} MiB を超えています。");
            return null;
        }
        var message = call.Input.Name;
        if (string.IsNullOrWhiteSpace(body))
        {
            body = "{}";
        }
        try
        {
            if (UnknownField(body, call.Input, prefix: "") is { } unknown)
            {
                await WriteInvalidAsync(http, EdgeRefusal.InvalidField(unknown, $"is not a field of {message}.", $"{message} の項目ではありません。"));
                return null;
            }
            return Parser.Parse(body, call.Input);
        }
        catch (Exception e) when (e is JsonException or InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            await WriteInvalidAsync(http, new EdgeRefusal(StatusCode.InvalidArgument, "MalformedJson",
                $"The request body is not a valid {message} in JSON: {Shorten(e.Message, 200)}",
                $"リクエストの本文が {message} の JSON として正しくありません: {Shorten(e.Message, 200)}"));
            return null;
        }
    }

    private Task WriteInvalidAsync(HttpContext http, EdgeRefusal refusal)
    {
        RefusalStatus.Log(_logger, http.Request.Path, refusal);
        return WriteErrorAsync(http, RefusalStatus.Http(refusal.Code), refusal.Reason, refusal.MessageEn, refusal.MessageJa, refusal.Field, refusal.Code);
    }

    private async Task StreamAsync(HttpContext http, Call call, IMessage request, string method)
    {
        // The stream ends with the page or with the host: a watching page must not hold up the shutdown deadline.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _lifetime.ApplicationStopping);
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        // A page reconnects by itself (EventSource) and then gets the current state first.
        await http.Response.WriteAsync("retry: 2000\n\n", cancellation.Token);
        await http.Response.Body.FlushAsync(cancellation.Token);
        try
        {
            await call.Stream!(request, new EventStreamWriter(http.Response), new HttpCallContext(http, method, cancellation.Token));
        }
        catch (EdgeRefusal refusal)
        {
            RefusalStatus.Log(_logger, method, refusal);
            await http.Response.WriteAsync($"event: refusal\ndata: {ErrorJson(refusal.Reason, refusal.MessageEn, refusal.MessageJa, refusal.Field, refusal.Code)}\n\n", http.RequestAborted);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The page or the host went away.
        }
    }

    // Names the first property that is not a field of the message (at any depth), for a 400 that says which.
    private static string? UnknownField(string json, MessageDescriptor descriptor, string prefix)
    {
        using var document = JsonDocument.Parse(json);
        return UnknownField(document.RootElement, descriptor, prefix);
    }

    private static string? UnknownField(JsonElement element, MessageDescriptor descriptor, string prefix)
    {
        if (element.ValueKind != JsonValueKind.Object || IsWellKnownType(descriptor))
        {
            return null;
        }
        foreach (var property in element.EnumerateObject())
        {
            var field = descriptor.FindFieldByName(property.Name) ?? descriptor.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == property.Name);
            if (field is null)
            {
                return prefix + Shorten(property.Name);
            }
            if (field.FieldType == FieldType.Message && !field.IsMap)
            {
                var items = field.IsRepeated && property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().ToList() : [property.Value];
                foreach (var item in items)
                {
                    if (UnknownField(item, field.MessageType, $"{prefix}{field.Name}.") is { } unknown)
                    {
                        return unknown;
                    }
                }
            }
        }
        return null;
    }

    private static bool MediaTypeIsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    internal static Task WriteErrorAsync(HttpContext http, int httpStatus, string reason, string messageEn, string messageJa, string? field = null, StatusCode? status = null)
    {
        http.Response.StatusCode = httpStatus;
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsync(ErrorJson(reason, messageEn, messageJa, field, status));
    }

    private static string ErrorJson(string reason, string messageEn, string messageJa, string? field, StatusCode? status) =>
        JsonSerializer.Serialize(new ErrorBody(reason, messageEn, messageJa, field, status?.ToString()), ErrorJsonOptions);

    // Japanese as it is, not \u escapes: the body is read by people with curl as much as by the page.
    private static readonly JsonSerializerOptions ErrorJsonOptions = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
        TypeInfoResolver = ErrorBodyContext.Default,
    };

    private static string Shorten(string value, int length = 32) => value.Length <= length ? value : value[..length] + "…";

    private static bool IsWellKnownType(MessageDescriptor descriptor) => descriptor.File.Package == "google.protobuf";

    /// <summary>One API method: its request type and the service's handler, unary or server-streaming.</summary>
    private sealed record Call(
        MessageDescriptor Input,
        Func<IMessage, ServerCallContext, Task<IMessage>>? Unary,
        Func<IMessage, IServerStreamWriter<IMessage>, ServerCallContext, Task>? Stream)
    {
        public bool Streaming => Stream is not null;
    }

    /// <summary>Collects the handlers the generated <c>Terminal.BindService</c> hands out, typed, without reflection.</summary>
    private sealed class Binder(Dictionary<string, Call> calls) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            ArgumentNullException.ThrowIfNull(handler);
            calls[method.Name] = new Call(Input(method.Name),
                async (request, context) => (IMessage)await handler((TRequest)request, context), null);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            ArgumentNullException.ThrowIfNull(handler);
            calls[method.Name] = new Call(Input(method.Name), null,
                (request, writer, context) => handler((TRequest)request, new TypedWriter<TResponse>(writer), context));
        }

        // Client and duplex streaming have no form a page can use; terminal.proto has neither.
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
        }

        private static MessageDescriptor Input(string name) => Terminal.Descriptor.FindMethodByName(name).InputType;
    }

    private sealed class TypedWriter<T>(IServerStreamWriter<IMessage> inner) : IServerStreamWriter<T>
        where T : class
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(T message) => inner.WriteAsync((IMessage)message);

        public Task WriteAsync(T message, CancellationToken cancellationToken) => inner.WriteAsync((IMessage)message, cancellationToken);
    }

    /// <summary>Each message as one Server-Sent Event, sent at once.</summary>
    private sealed class EventStreamWriter(HttpResponse response) : IServerStreamWriter<IMessage>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(IMessage message) => WriteAsync(message, CancellationToken.None);

        public async Task WriteAsync(IMessage message, CancellationToken cancellationToken)
        {
            await response.WriteAsync($"data: {Formatter.Format(message)}\n\n", cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }
}

/// <summary>The body of every error the JSON API answers; <c>status</c> is the gRPC status name when there is one.</summary>
internal sealed record ErrorBody(string Reason, string MessageEn, string MessageJa, string? Field, string? Status);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ErrorBodyContext : System.Text.Json.Serialization.JsonSerializerContext;
