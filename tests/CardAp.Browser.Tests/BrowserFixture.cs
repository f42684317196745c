using Microsoft.Playwright;

namespace CardAp.Browser.Tests;

/// <summary>
/// Headless Chromium, shared by the browser tests: Debian's /usr/bin/chromium (browsers cannot be
/// downloaded here), driven by Playwright's driver (playwright-core, shipped in the NuGet package).
/// Tests start with <see cref="RequireBrowser"/>, which fails when CARDAP_REQUIRE_BROWSER=1 (as
/// build.ps1 sets) and skips naming the reason otherwise, so no test passes without a browser.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string CollectionName = "browser";
    public const string ChromiumPath = "/usr/bin/chromium";

    // Chromium as root needs --no-sandbox; the rest stop it calling hosts it cannot reach.
    internal static readonly string[] Flags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--lang=ja-JP",
    ];

    private IPlaywright? _playwright;
    private string? _unavailableReason;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the tests put their screenshots: artifacts/screenshots in the repository (not committed).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            _unavailableReason = $"{ChromiumPath} is missing (apt-get install chromium, or run `dotnet pwsh build.ps1 test`)";
            return;
        }
        try
        {
            _playwright = await Playwright.CreateAsync();
            Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = Flags });
        }
        catch (PlaywrightException e)
        {
            _unavailableReason = $"Chromium did not start: {e.Message}";
        }
    }

    public void RequireBrowser()
    {
        if (_unavailableReason is null)
        {
            return;
        }
        if (Environment.GetEnvironmentVariable("CARDAP_REQUIRE_BROWSER") == "1")
        {
            Assert.Fail($"A browser is required (CARDAP_REQUIRE_BROWSER=1) but not usable: {_unavailableReason}");
        }
        Assert.Skip($"No browser for the screen tests: {_unavailableReason}");
    }

    /// <summary>Saves a full-page screenshot as artifacts/screenshots/<paramref name="name"/>.png.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "CardAp.sln")))
            {
                return folder.FullName;
            }
        }
        return Path.GetTempPath();
    }
}

[CollectionDefinition(BrowserFixture.CollectionName)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;
