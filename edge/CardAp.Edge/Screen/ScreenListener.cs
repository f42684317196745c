using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Screen;

/// <summary>
/// The screen's own Kestrel endpoint (HTTP/1.1), next to the terminal API's. Connections that
/// arrive through it carry a marker, so the screen's pages and JSON API answer only there and
/// the terminal API's endpoint stays gRPC only.
/// </summary>
public sealed class ScreenListener(IOptions<ScreenOptions> options, ILogger<ScreenListener> logger)
{
    private ListenOptions? _listen;
    private int _port;

    public bool Enabled => options.Value.Enabled;

    /// <summary>Where the screen is reached once the server has started (the bound port when the setting says 0); null when off.</summary>
    public Uri? Address => _listen switch
    {
        null => null,
        { EndPoint: IPEndPoint { Address: var address, Port: var port } } => new Uri($"http://{Host(address)}:{port}/"),
        _ => new Uri($"http://localhost:{_port}/"),
    };

    /// <summary>Whether the request came in through the screen's endpoint.</summary>
    public static bool IsScreenRequest(HttpContext context) => context.Features.Get<ScreenConnection>() is not null;

    internal void Bind(KestrelServerOptions kestrel)
    {
        // An unusable setting is reported by ScreenOptionsValidator, which runs before the server binds.
        if (!Enabled || ScreenOptions.Parse(options.Value.Url!, out _) is not { } endpoint)
        {
            return;
        }
        void Configure(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.Use(next => connection =>
            {
                connection.Features.Set(ScreenConnection.Instance);
                return next(connection);
            });
            _listen = listen;
        }
        if (endpoint.Address is { } address)
        {
            if (!IPAddress.IsLoopback(address))
            {
                logger.LogWarning("The terminal screen listens on {Address}, beyond this machine: operator and resident PINs typed on it cross the network unencrypted. Keep Edge:Screen:Url on 127.0.0.1 unless the network segment is trusted.", address);
            }
            kestrel.Listen(address, endpoint.Port, Configure);
        }
        else
        {
            _port = endpoint.Port;
            kestrel.ListenLocalhost(endpoint.Port, Configure);
        }
    }

    private static string Host(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    /// <summary>The marker a screen connection carries (a connection feature, visible to its requests).</summary>
    internal sealed class ScreenConnection
    {
        public static readonly ScreenConnection Instance = new();
    }
}
