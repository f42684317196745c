using CardAp.Hub.Api;
using CardAp.Hub.Tests.Host;
using Grpc.Net.Client;

namespace CardAp.Provision.Tests;

/// <summary>
/// The set-up every provisioning test starts from, through cardap-provision run as a process: a hub
/// CA (`ca init`), the hub's server certificate and a central-IT administrator for 131016, and the
/// real hub on loopback with mutual TLS using them (<see cref="ProvisionWorld"/>). Each test gets its
/// own folder, CA and hub; test classes that share one hub take <see cref="ProvisionWorld"/> as a class fixture instead.
/// </summary>
public abstract class ProvisionHubTest : IAsyncLifetime
{
    protected const string Passphrase = ProvisionWorld.Passphrase;
    private readonly ProvisionWorld _world = new("131016");

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected string Root => _world.Root;

    protected string Ca => _world.Ca;

    protected string PassphraseFile => _world.PassphraseFile;

    private protected HubHost HubHost => _world.HubHost;

    public virtual ValueTask InitializeAsync() => _world.InitializeAsync();

    public virtual async ValueTask DisposeAsync()
    {
        await _world.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>The options that reach the hub as the administrator it-sato.</summary>
    protected string[] Hub() => _world.Hub();

    /// <summary>The admin API as it-sato, straight from the test (not through the tool), to set up rows and to check what the tool did.</summary>
    protected (GrpcChannel Channel, Admin.AdminClient Client) Admin() => _world.ConnectAdmin();

    /// <summary>Runs cardap-provision with the passphrase file and <paramref name="args"/>, to its end.</summary>
    protected Task<Run> ProvisionAsync(params string[] args) => _world.ProvisionAsync(args);
}
