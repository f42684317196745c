using CardAp.Edge.Options;
using Grpc.Net.Client;
using Grpc.Net.Compression;
using System.IO.Compression;

namespace CardAp.Edge.Hub;

/// <summary>The gRPC channel sync uses to reach the hub: mutual TLS (<see cref="HubHttpHandler"/>), large pages, gzip at its best.</summary>
public static class HubChannel
{
    private const int MaxReceiveBytes = 32 * 1024 * 1024;

    public static GrpcChannel ForSync(EdgeOptions edge)
    {
        ArgumentNullException.ThrowIfNull(edge);
        return GrpcChannel.ForAddress(edge.HubAddress!, new GrpcChannelOptions
        {
            HttpHandler = HubHttpHandler.Create(edge),
            DisposeHttpClient = true,
            // A snapshot page of large rows (attendance definitions, JPKI anchors) can pass the 4 MiB default.
            MaxReceiveMessageSize = MaxReceiveBytes,
            // Pushes are gzip'd (SyncEngine asks per call); grpc-dotnet's own gzip is level Fastest, and
            // Optimal takes a batched transaction record from 79 to 57 bytes on LGWAN for little CPU.
            CompressionProviders = [new GzipCompressionProvider(CompressionLevel.Optimal)],
        });
    }
}
