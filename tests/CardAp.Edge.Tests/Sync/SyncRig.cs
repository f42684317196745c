using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CardAp.Edge.Store;
using CardAp.Edge.Sync;
using CardAp.Edge.Tests.Store;
using CardAp.Sync.Edge;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging.Abstractions;
using SyncContract = CardAp.Sync.Contracts.Sync;

namespace CardAp.Edge.Tests.Sync;

/// <summary>
/// A <see cref="FakeHub"/> on real Kestrel (HTTP/2 on loopback), a real gRPC channel to it, and
/// the edge's sync engine over a real temporary SQLite store.
/// </summary>
internal sealed class SyncRig : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;
    private int _requests;

    private SyncRig(WebApplication app, string address, FakeHub hub, TempStore store, Func<SyncEngineOptions, SyncEngineOptions>? configure)
    {
        _app = app;
        Address = address;
        Hub = hub;
        Store = store;
        _channel = GrpcChannel.ForAddress(address);
        _configure = configure;
        (SyncStore, Engine) = NewEngine();
    }

    private readonly Func<SyncEngineOptions, SyncEngineOptions>? _configure;

    public string Address { get; }

    public FakeHub Hub { get; }

    public TempStore Store { get; }

    public EdgeSyncStore SyncStore { get; private set; }

    public SyncEngine Engine { get; private set; }

    /// <summary>The edge process starts again: the database is reopened and a new engine built over it.</summary>
    public void Restart()
    {
        Engine.Dispose();
        Store.Reopen();
        (SyncStore, Engine) = NewEngine();
    }

    private (EdgeSyncStore, SyncEngine) NewEngine()
    {
        var store = new EdgeSyncStore(Store.Master, Store.Outbox, Store.Records, TimeProvider.System);
        var options = new SyncEngineOptions { TerminalId = "131016-T001", Municipality = "131016", SoftwareVersion = "test", BatchSize = 10, PageSize = 100 };
        return (store, new SyncEngine(new SyncContract.SyncClient(_channel), store, _configure?.Invoke(options) ?? options, TimeProvider.System, NullLogger<SyncEngine>.Instance));
    }

    public static async Task<SyncRig> StartAsync(FakeHub? hub = null, Func<SyncEngineOptions, SyncEngineOptions>? configure = null)
    {
        hub ??= new FakeHub();
        var app = await HostAsync(hub);
        return new SyncRig(app, AddressOf(app), hub, new TempStore(), configure);
    }

    /// <summary>
    /// The fake hub alone on Kestrel (for the edge host's own channel). With a CA and a server
    /// certificate it speaks only mutual TLS, like the real hub: the client certificate must chain to the CA.
    /// </summary>
    public static async Task<WebApplication> HostAsync(FakeHub hub, X509Certificate2? ca = null, X509Certificate2? server = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        Integration.HubStub.ListenOnLoopback(builder, ca, server);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(hub);
        var app = builder.Build();
        app.MapGrpcService<FakeHub>();
        await app.StartAsync();
        return app;
    }

    public static string AddressOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>Records one transaction (with its audit entry) and returns its sequence number.</summary>
    public long Record(string service = "points", bool offline = false)
    {
        var id = $"req-{Interlocked.Increment(ref _requests)}";
        return Store.Records.RecordTransaction(TempStore.Transaction(id, service: service) with { Offline = offline },
            TempStore.Audit(detail: new JsonObject { ["requestId"] = id })).Seq;
    }

    /// <summary>Every master row the terminal holds, in (kind, key) order, read in one statement (one consistent snapshot).</summary>
    public List<(string Kind, string Key, string Payload)> MasterRows()
    {
        using var connection = Store.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT kind, key, payload FROM master_data ORDER BY kind, key";
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        Engine.Dispose();
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Store.Dispose();
    }
}
