using Grpc.Health.V1;
using Grpc.Net.Client;

namespace CardAp.Edge.Tests.Integration;

public sealed class HubStubTests
{
    [Fact]
    public async Task The_hub_stub_answers_the_health_check_as_serving()
    {
        await using var hub = await HubStub.StartAsync();
        using var channel = GrpcChannel.ForAddress(hub.Address);
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}
