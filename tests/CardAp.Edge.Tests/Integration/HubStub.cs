using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace CardAp.Edge.Tests.Integration;

/// <summary>
/// Stands in for the hub until the edge talks to the real one: a real Kestrel gRPC server on
/// loopback answering the standard health check, which is all the edge's reachability probe
/// asks. With a CA and server certificate it speaks only mutual TLS, like the real hub:
/// a client certificate must chain to that CA.
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

    /// <summary>
    /// Kestrel on a free loopback port, HTTP/2; with a CA and a server certificate, mutual TLS only,
    /// like the real hub: the client certificate must chain to the CA.
    /// </summary>
    internal static void ListenOnLoopback(WebApplicationBuilder builder, X509Certificate2? ca, X509Certificate2? server) =>
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            if (ca is null || server is null)
            {
                return;
            }
            l.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = server,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(certificate);
                },
            });
        }));

    /// <param name="beforeCheck">Runs before each health check answers (e.g. to make one slow), given the check's number from 1.</param>
    public static async Task<HubStub> StartAsync(X509Certificate2? ca = null, X509Certificate2? server = null, Func<int, Task>? beforeCheck = null)
    {
        var checks = 0;
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        ListenOnLoopback(builder, ca, server);
        builder.Services.AddGrpc();
        builder.Services.AddGrpcHealthChecks().AddAsyncCheck("hub", async () =>
        {
            if (beforeCheck is not null)
            {
                await beforeCheck(Interlocked.Increment(ref checks));
            }
            return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy();
        });
        // Answer from the checks themselves, not from the publisher's cache (first filled after 5 s).
        builder.Services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(o => o.UseHealthChecksCache = false);
        // Nor from the publisher's own runs, which would take numbers from beforeCheck's count.
        builder.Services.Configure<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckPublisherOptions>(o => o.Delay = TimeSpan.FromHours(1));
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
