using System.Net;
using CardAp.Card.Readers;
using CardAp.Edge.Api;
using CardAp.Edge.Enrolment;
using CardAp.Edge.Extensions;
using CardAp.Edge.Screen;
using CardAp.VirtualCard;
using CardAp.VirtualCard.InProcess;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CardAp.Demo.Site;

/// <summary>
/// One terminal: the edge host (cardap-edge's own registration) started from its enrolment folder,
/// with two in-process virtual readers (the operator's and the resident's), its terminal API and its
/// screen on loopback ports, and its line to the hub through an <see cref="LgwanLink"/>.
/// </summary>
public sealed class TerminalSite : IAsyncDisposable
{
    public const string OperatorReader = "CardAp Virtual Reader 0";
    public const string ResidentReader = "CardAp Virtual Reader 1";

    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private TerminalSite(string id, string name, WebApplication app, Uri address, Uri screenAddress, LgwanLink link)
    {
        Id = id;
        Name = name;
        _app = app;
        Address = address;
        ScreenAddress = screenAddress;
        Link = link;
        _channel = GrpcChannel.ForAddress(address);
        Api = new Terminal.TerminalClient(_channel);
    }

    public string Id { get; }

    public string Name { get; }

    /// <summary>The terminal API (gRPC, HTTP/2 without TLS, loopback only).</summary>
    public Uri Address { get; }

    /// <summary>The terminal screen in a browser (its pages and their JSON API, HTTP/1.1, loopback only).</summary>
    public Uri ScreenAddress { get; }

    public LgwanLink Link { get; }

    public Terminal.TerminalClient Api { get; }

    private InProcessCardReaders Readers => (InProcessCardReaders)_app.Services.GetRequiredService<ICardReaders>();

    /// <summary>Starts the edge from the folder `cardap-edge --enroll` wrote; its data lives in data/ there.</summary>
    public static async Task<TerminalSite> StartAsync(string id, string name, string folder, LgwanLink link, DemoClock clock, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = folder, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Edge:Readers"] = "Virtual",
            ["Edge:VirtualReaderCount"] = "2",
            // The demo's day passes in minutes: a clerk stays signed in across its jumps of the clock.
            ["Edge:SessionIdleTimeout"] = "12:00:00",
            ["Edge:Sync:Interval"] = "00:00:05",
            ["Edge:Screen:Url"] = "http://127.0.0.1:0",
            ["Store:DatabasePath"] = Path.Combine(folder, "data", "edge.db"),
            ["Store:DailyBackup"] = "false",
            ["Logging:Directory"] = Path.Combine(folder, "logs"),
            ["Logging:Console"] = "false",
        });
        builder.AddEdgeServices();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapEdgeEndpoints();
        await app.StartAsync(cancellationToken);
        var screen = app.Services.GetRequiredService<ScreenListener>().Address!;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).First(a => a.Port != screen.Port);
        return new TerminalSite(id, name, app, address, screen, link);
    }

    /// <summary>Imports an enrolment bundle into <paramref name="folder"/>, as `cardap-edge --enroll` does on the terminal.</summary>
    public static void Enrol(string bundle, string code, string folder) => EnrolCommand.Import(bundle, code, folder, []);

    public void Insert(string reader, ISmartCard card) => Readers.Insert(reader, card);

    public void Remove(string reader) => Readers.Remove(reader);

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
