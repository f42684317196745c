using System.Security.Cryptography.X509Certificates;
using CardAp.Hub.Api;
using CardAp.Hub.Security;
using CardAp.Shared.Domain;
using Grpc.Net.Client;

namespace CardAp.Hub.Tests.Host;

/// <summary>
/// A real hub (Kestrel, mutual TLS, SQLite) per test with two municipalities registered by
/// central IT, Chiyoda (131016) and Sapporo (011002), for tests of what callers of one may do.
/// Channels opened through <see cref="Channel"/> close with the hub.
/// </summary>
public abstract class TwoMunicipalityHub : IAsyncLifetime
{
    protected static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    protected static readonly MunicipalityCode Sapporo = MunicipalityCode.Parse("011002");

    private readonly List<IDisposable> _channels = [];

    private protected HubPki Pki { get; } = new();

    private protected HubHost Hub { get; private set; } = null!;

    /// <summary>Central IT ("it-1") acting for both municipalities.</summary>
    protected Admin.AdminClient CentralIt { get; private set; } = null!;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync()
    {
        Hub = await HubHost.StartAsync(Pki);
        CentralIt = new Admin.AdminClient(Channel(Pki.Ca.IssueAdminCertificate("it-1", CallerRole.CentralIt, [Chiyoda, Sapporo])));
        await CentralIt.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = Chiyoda.Value, Name = "千代田区" }, cancellationToken: Cancel);
        await CentralIt.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = Sapporo.Value, Name = "札幌市" }, cancellationToken: Cancel);
    }

    public virtual async ValueTask DisposeAsync()
    {
        _channels.ForEach(c => c.Dispose());
        await Hub.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Pki.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A channel presenting <paramref name="certificate"/>, closed with the hub.</summary>
    protected GrpcChannel Channel(X509Certificate2 certificate)
    {
        var channel = Hub.Channel(certificate);
        _channels.Add(channel);
        return channel;
    }

    /// <summary>A channel of the municipality's own administrator ("admin-&lt;code&gt;").</summary>
    protected GrpcChannel AdminChannel(MunicipalityCode municipality) =>
        Channel(Pki.Ca.IssueAdminCertificate($"admin-{municipality.Value}", CallerRole.MunicipalityAdmin, [municipality]));

    protected Admin.AdminClient AdminOf(MunicipalityCode municipality) => new(AdminChannel(municipality));
}
