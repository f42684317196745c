using System.Net;
using CardAp.Edge.Api;
using CardAp.Edge.Extensions;
using CardAp.Edge.Screen;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CardAp.Edge.Tests.Integration;

/// <summary>
/// The real edge host on real Kestrel, bound to a free loopback port (HTTP/2 without TLS), with a
/// real gRPC channel to it: the same code path a counter app takes.
/// </summary>
internal sealed class EdgeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EdgeHost(WebApplication app, GrpcChannel channel, string directory)
    {
        _app = app;
        Channel = channel;
        Directory = directory;
        Client = new Terminal.TerminalClient(channel);
    }

    public GrpcChannel Channel { get; }

    public Terminal.TerminalClient Client { get; }

    public string Directory { get; }

    /// <summary>The terminal API (gRPC, HTTP/2 without TLS).</summary>
    public Uri Address { get; private init; } = null!;

    /// <summary>The terminal screen's pages and JSON API (HTTP/1.1); null with the screen off.</summary>
    public Uri? ScreenAddress { get; private init; }

    public IServiceProvider Services => _app.Services;

    public T Get<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    /// <param name="enrolledIn">An enrolled terminal's folder (enrolment.json): the content root, and the identity comes from there.</param>
    public static async Task<EdgeHost> StartAsync(string directory, TimeProvider clock, IDictionary<string, string?>? settings = null, string? enrolledIn = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test", ContentRootPath = enrolledIn });
        var config = new Dictionary<string, string?>
        {
            ["Edge:Readers"] = "Pcsc",
            ["Store:DatabasePath"] = Path.Combine(directory, "edge.db"),
            ["Store:DailyBackup"] = "false",
            ["Logging:Directory"] = Path.Combine(directory, "logs"),
            ["Serilog:MinimumLevel:Default"] = "Warning",
            // Any free port: test hosts run side by side.
            ["Edge:Screen:Url"] = "http://127.0.0.1:0",
        };
        if (enrolledIn is null)
        {
            config["Edge:Municipality"] = "131016";
            config["Store:TerminalId"] = "131016-T001";
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.AddEdgeServices();
        builder.Services.AddSingleton(clock);
        var app = builder.Build();
        app.MapEdgeEndpoints();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var screen = app.Services.GetRequiredService<ScreenListener>().Address;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).First(a => a.Port != screen?.Port);
        return new EdgeHost(app, GrpcChannel.ForAddress(address), directory) { Address = address, ScreenAddress = screen };
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
