using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace CardAp.Edge.Screen;

/// <summary>
/// What a <see cref="Api.TerminalService"/> method sees of a call that came through the screen's
/// JSON API: the method's gRPC name, the caller's address and the request's cancellation. The
/// service reads nothing else of its context, so nothing else is carried over.
/// </summary>
internal sealed class HttpCallContext(HttpContext http, string method, CancellationToken cancellationToken) : ServerCallContext
{
    private readonly Metadata _trailers = [];

    protected override string MethodCore => method;

    protected override string HostCore => http.Request.Host.Value ?? string.Empty;

    // The form gRPC uses for peers ("ipv4:127.0.0.1:50312"), so logs read alike from both doors.
    protected override string PeerCore => http.Connection.RemoteIpAddress is { } address
        ? $"{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ipv6:[" + address + "]" : "ipv4:" + address)}:{http.Connection.RemotePort}"
        : "unknown";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore { get; } = [];

    protected override CancellationToken CancellationTokenCore => cancellationToken;

    protected override Metadata ResponseTrailersCore => _trailers;

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore { get; } = new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Calls from the screen's JSON API do not propagate to other gRPC calls.");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
