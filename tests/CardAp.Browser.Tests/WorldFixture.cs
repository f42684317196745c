using CardAp.Demo;

namespace CardAp.Browser.Tests;

/// <summary>
/// The demo's provisioned system (hub shared by two municipalities, three terminals with virtual
/// readers, staff and residents' cards), started once for a test class; its narration is kept for
/// failure messages.
/// </summary>
public sealed class WorldFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("cardap-browser-");

    public StringWriter Narration { get; } = new();

    public DemoWorld World { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        World = await DemoWorld.StartAsync(_folder.FullName, Narration, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (World is not null)
        {
            await World.DisposeAsync();
        }
        _folder.Delete(recursive: true);
    }
}
