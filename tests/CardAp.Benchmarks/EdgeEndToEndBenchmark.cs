using System.Net;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Edge.Api;
using CardAp.Edge.Extensions;
using CardAp.Edge.Store;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CardAp.Benchmarks;

/// <summary>
/// One counter transaction end to end: gRPC on loopback into the edge host, the resident's card
/// identified through pcscd + vpcd, the record acknowledged durably.
/// </summary>
internal static class EdgeEndToEndBenchmark
{
    public static async Task<Measurement> RunAsync(IssuingKey issuingKey, string residentReader, string operatorReader, string operatorPin)
    {
        var directory = Directory.CreateTempSubdirectory("cardap-bench-e2e-");
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Edge:Municipality"] = issuingKey.Reference.Municipality.Value,
            ["Edge:Readers"] = "Pcsc",
            ["Store:DatabasePath"] = Path.Combine(directory.FullName, "edge.db"),
            ["Store:TerminalId"] = "131016-B001",
            ["Logging:Directory"] = Path.Combine(directory.FullName, "logs"),
            ["Serilog:MinimumLevel:Default"] = "Warning",
            // The gRPC endpoint is what is measured; the screen would only take a port.
            ["Edge:Screen:Url"] = "",
        });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.AddEdgeServices();
        var app = builder.Build();
        app.MapEdgeEndpoints();
        await app.StartAsync();
        try
        {
            app.Services.GetRequiredService<MasterData>().Apply(
            [
                MasterChange.Upsert("issuerKey", issuingKey.Reference.ToString(), new JsonObject
                {
                    ["reference"] = issuingKey.Reference.ToString(),
                    ["publicKey"] = Convert.ToBase64String(issuingKey.PublicKey.SubjectPublicKeyInfo),
                }, 1),
            ]);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var channel = GrpcChannel.ForAddress(address);
            var client = new Terminal.TerminalClient(channel);
            var session = (await client.SignInAsync(new SignInRequest { Reader = operatorReader, Pin = operatorPin })).Session;
            var n = 0;
            return Measurement.Of("counter transaction via gRPC, with identification through pcscd + vpcd", 30, 300, () =>
            {
                var request = new OperationRequest
                {
                    RequestId = $"e2e-{++n}",
                    Session = session,
                    Service = "points",
                    Operation = "accrue",
                    Reader = residentReader,
                };
                request.Fields["points"] = "1";
                request.Fields["reason"] = "bench";
                client.Execute(request);
                return 0;
            });
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }
}
