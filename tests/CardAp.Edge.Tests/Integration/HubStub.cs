using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CardAp.Edge.Tests.Integration;

/// <summary>
/// Stands in for the hub until the hub issue lands: a real Kestrel gRPC server on loopback
/// answering the standard health check, which is all the edge's reachability probe asks.
/// </summary>
internal sealed class HubStub : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HubStub(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    public static async Task<HubStub> StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddGrpcHealthChecks().AddCheck("hub", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
        // Answer from the checks themselves, not from the publisher's cache (first filled after 5 s).
        builder.Services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(o => o.UseHealthChecksCache = false);
        var app = builder.Build();
        app.MapGrpcHealthChecksService();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HubStub(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
