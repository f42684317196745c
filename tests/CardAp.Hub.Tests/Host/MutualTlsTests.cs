using System.Security.Authentication;
using CardAp.Hub.Api;
using CardAp.Hub.Errors;
using CardAp.Hub.Security;
using CardAp.Hub.Tests.Security;
using CardAp.Shared.Domain;
using Grpc.Core;
using Grpc.Health.V1;

namespace CardAp.Hub.Tests.Host;

public sealed class MutualTlsTests : IAsyncLifetime
{
    private readonly HubPki _pki = new();
    private HubHost _hub = null!;

    public async ValueTask InitializeAsync() => _hub = await HubHost.StartAsync(_pki);

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _pki.Dispose();
    }

    [Fact]
    public async Task A_terminal_learns_who_it_is()
    {
        using var certificate = _pki.Ca.IssueTerminalCertificate("131016-T001");
        using var channel = _hub.Channel(certificate);
        var reply = await new Admin.AdminClient(channel).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("terminal", reply.Kind);
        Assert.Equal("131016-T001", reply.Id);
        Assert.Equal("terminal", reply.Role);
        Assert.Equal(["131016"], reply.Municipalities);
    }

    [Fact]
    public async Task An_administrator_learns_who_they_are()
    {
        using var certificate = _pki.Ca.IssueAdminCertificate("it-sato", CallerRole.CentralIt, [MunicipalityCode.Parse("131016"), MunicipalityCode.Parse("011002")]);
        using var channel = _hub.Channel(certificate);
        var reply = await new Admin.AdminClient(channel).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("admin", reply.Kind);
        Assert.Equal("it-sato", reply.Id);
        Assert.Equal("central-it", reply.Role);
        Assert.Equal(["011002", "131016"], reply.Municipalities);
    }

    [Fact]
    public async Task The_health_check_answers_over_mutual_tls()
    {
        using var certificate = _pki.Ca.IssueTerminalCertificate("131016-T001");
        using var channel = _hub.Channel(certificate);
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task A_certificate_from_another_ca_is_refused_at_the_tls_layer()
    {
        // Same CA name, same identity: only the key differs.
        using var otherCa = HubCertificateAuthority.Create();
        using var certificate = otherCa.IssueTerminalCertificate("131016-T001");
        using var channel = _hub.Channel(certificate);
        var e = await Record.ExceptionAsync(() => new Admin.AdminClient(channel).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        AssertRefusedByTls(e);
        Assert.Equal(0, _hub.Counter.Calls);
    }

    [Fact]
    public async Task A_call_without_a_client_certificate_is_refused_at_the_tls_layer()
    {
        using var channel = _hub.Channel(clientCertificate: null);
        var e = await Record.ExceptionAsync(() => new Admin.AdminClient(channel).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        AssertRefusedByTls(e);
        Assert.Equal(0, _hub.Counter.Calls);
    }

    [Fact]
    public async Task A_hub_ca_certificate_without_an_identity_passes_tls_but_is_unauthenticated()
    {
        using var certificate = TestCertificates.SignedBy(_pki.Ca.Certificate, "urn:cardap:admin:sato?role=root&municipalities=131016");
        using var channel = _hub.Channel(certificate);
        var e = await Assert.ThrowsAsync<RpcException>(() => new Admin.AdminClient(channel).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal(CallerContextExtensions.InvalidIdentityReason, e.Trailers.GetValue(HubRefusal.ReasonTrailer));
        Assert.Equal(1, _hub.Counter.Calls);
    }

    private static void AssertRefusedByTls(Exception? e)
    {
        Assert.NotNull(e);
        var refusedByTls = e switch
        {
            // Grpc.Net.Client's words when no HTTP/2 response came back at all: the server dropped the connection.
            RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.Internal
                && rpc.Status.Detail.StartsWith("Error starting gRPC call", StringComparison.Ordinal)
                && rpc.Trailers.GetValue(HubRefusal.ReasonTrailer) is null,
            HttpRequestException or IOException or AuthenticationException => true,
            _ => false,
        };
        Assert.True(refusedByTls, $"Expected a TLS-level failure, got {e}");
    }
}
