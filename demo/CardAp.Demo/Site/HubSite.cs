using System.Net;
using CardAp.Hub.Extensions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CardAp.Demo.Site;

/// <summary>The hub host (cardap-hub's own registration) in this process, on SQLite, over mutual TLS on loopback.</summary>
public sealed class HubSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HubSite(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>https://localhost:port: the name the hub's server certificate carries.</summary>
    public Uri Address { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Address.Port);

    /// <summary>The dashboard for administrators' browsers, on the same mutual-TLS endpoint.</summary>
    public Uri Dashboard => new(Address, CardAp.Hub.Dashboard.DashboardEndpoints.Path + "/");

    public static async Task<HubSite> StartAsync(DemoFolders folders, DemoClock clock, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = folders.Hub, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hub:CaCertificatePath"] = folders.HubCaCertificate,
            ["Hub:ServerCertificatePath"] = folders.HubServerCertificate,
            ["Hub:ServerKeyPath"] = folders.HubServerKey,
            ["Hub:ListenUrl"] = $"https://127.0.0.1:{port}",
            ["Hub:Database:ConnectionString"] = $"Data Source={Path.Combine(folders.Hub, "hub.db")}",
            ["Logging:Directory"] = Path.Combine(folders.Hub, "logs"),
            ["Logging:Console"] = "false",
        });
        builder.AddHubServices();
        builder.Services.AddSingleton<TimeProvider>(clock);
        var app = builder.Build();
        app.MapHubEndpoints();
        await app.StartAsync(cancellationToken);
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return new HubSite(app, new Uri($"https://localhost:{bound.Port}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
