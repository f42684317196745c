using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CardAp.Hub.Extensions;
using CardAp.Hub.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CardAp.Hub.Tests.Host;

/// <summary>A hub CA with the hub's server certificate, written as PEM files the host loads.</summary>
internal sealed class HubPki : IDisposable
{
    public HubPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("cardap-hub-pki-").FullName;
        Ca = HubCertificateAuthority.Create();
        CaCertificatePath = Path.Combine(Directory, "hub-ca.pem");
        File.WriteAllText(CaCertificatePath, Ca.ExportCertificatePem());
        ServerCertificatePath = Path.Combine(Directory, "hub.pem");
        ServerKeyPath = Path.Combine(Directory, "hub.key");
        using var server = Ca.IssueLocalServerCertificate();
        CertificatePem.Write(server, ServerCertificatePath, ServerKeyPath);
    }

    public string Directory { get; }

    public HubCertificateAuthority Ca { get; }

    public string CaCertificatePath { get; }

    public string ServerCertificatePath { get; }

    public string ServerKeyPath { get; }

    public Dictionary<string, string?> Settings() => new()
    {
        ["Hub:CaCertificatePath"] = CaCertificatePath,
        ["Hub:ServerCertificatePath"] = ServerCertificatePath,
        ["Hub:ServerKeyPath"] = ServerKeyPath,
        ["Hub:ListenUrl"] = "https://127.0.0.1:0",
        ["Hub:Database:ConnectionString"] = $"Data Source={Path.Combine(Directory, "hub.db")};Pooling=False",
        ["Logging:Directory"] = Path.Combine(Directory, "logs"),
        ["Serilog:MinimumLevel:Default"] = "Warning",
    };

    public void Dispose()
    {
        Ca.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Counts the gRPC calls that reached a service: a refusal at the TLS layer leaves it at zero.</summary>
internal sealed class CallCounter
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public void Add() => Interlocked.Increment(ref _calls);
}

internal sealed class CountingInterceptor(CallCounter counter) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        counter.Add();
        return continuation(request, context);
    }
}

/// <summary>
/// The real hub host on real Kestrel with mutual TLS on a free loopback port, and real gRPC
/// channels to it that present a client certificate and trust only the hub CA.
/// </summary>
internal sealed class HubHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HubHost(WebApplication app, Uri address, X509Certificate2 hubCa)
    {
        _app = app;
        Address = address;
        HubCa = hubCa;
    }

    public Uri Address { get; }

    public X509Certificate2 HubCa { get; }

    public CallCounter Counter => _app.Services.GetRequiredService<CallCounter>();

    public static async Task<HubHost> StartAsync(HubPki pki, IDictionary<string, string?>? overrides = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test" });
        var settings = pki.Settings();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddHubServices();
        builder.Services.AddSingleton<CallCounter>();
        builder.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions>(o => o.Interceptors.Add<CountingInterceptor>());
        var app = builder.Build();
        app.MapHubEndpoints();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new HubHost(app, new Uri(address), pki.Ca.Certificate);
    }

    /// <summary>A channel presenting <paramref name="clientCertificate"/> (or none) and trusting only the hub CA for the server.</summary>
    public GrpcChannel Channel(X509Certificate2? clientCertificate) =>
        GrpcChannel.ForAddress(Address, new GrpcChannelOptions { HttpHandler = Handler(clientCertificate), DisposeHttpClient = true });

    /// <summary>A plain HTTP client (the dashboard's way in) presenting <paramref name="clientCertificate"/> (or none), trusting only the hub CA.</summary>
    public HttpClient Http(X509Certificate2? clientCertificate) => new(Handler(clientCertificate)) { BaseAddress = Address };

    private SocketsHttpHandler Handler(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
            && certificate is X509Certificate2 server
            && ChainsToHubCa(server);
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            // Present it even when the server's list of acceptable issuers does not name its CA.
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }
        return handler;
    }

    private bool ChainsToHubCa(X509Certificate2 server)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(HubCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
