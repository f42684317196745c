using System.Text;
using CardAp.Demo;
using CardAp.Demo.Script;
using CardAp.Hub.Api;
using CardAp.Shared.Domain;
using CardAp.Shared.Hours;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CardAp.Browser.Tests;

/// <summary>
/// The hub dashboard in Chromium with administrators' certificates from the tool, after the demo's
/// scripted day: central IT sees exactly the day's figures (tests/CardAp.Demo.Tests holds the same
/// ones), the fleet and a CSV; an administrator of 011002 alone sees nothing of 131016; a browser
/// without a certificate gets no page at all.
/// </summary>
[Collection(BrowserFixture.CollectionName)]
public sealed class DashboardTests(BrowserFixture browser, DashboardTests.PlayedDay played) : IClassFixture<DashboardTests.PlayedDay>
{
    private const string SapporoAdministrator = "admin-011002";

    /// <summary>A terminal of 131016 enrolled in the master data that never called the hub.</summary>
    private const string NeverSeen = "131016-T003";

    // A loaded machine can take a while to render the charts; a wait ends as soon as the page is there.
    private static readonly LocatorAssertionsToHaveTextOptions Text = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToHaveAttributeOptions Attribute = new() { Timeout = 30_000 };

    private DemoWorld World => played.World;

    private string Day => JapanTime.IsoDate(World.Day);

    [Fact]
    public async Task Central_IT_sees_the_days_figures_the_fleet_and_downloads_the_csv()
    {
        browser.RequireBrowser();
        await using var context = await NewContextAsync(new ClientCertificate
        {
            Origin = Origin, CertPath = World.Folders.AdminCertificate, KeyPath = World.Folders.AdminKey, Passphrase = CentralIt.Passphrase,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(World.Hub.Dashboard.ToString());

        // The picker offers what the certificate names; the range starts at the hub's today in Japan.
        await Expect(page.Locator("#municipality option")).ToHaveCountAsync(3);
        await Expect(page.Locator("#from")).ToHaveValueAsync(Day);
        await Expect(page.Locator("#to")).ToHaveValueAsync(Day);
        await page.Locator("#municipality").SelectOptionAsync("131016");
        await ShownAsync(page, "131016");

        // 5 loans and a return, 2 point accruals, a seal certificate; the suspended card refused once.
        await FigureAsync(page, "#summary", "done", "9");
        await FigureAsync(page, "#summary", "offline", "0");
        await FigureAsync(page, "#summary", "refused", "1");
        await RowAsync(page, "by-service", "library", ("done", "6"), ("refused", "1"));
        await RowAsync(page, "by-service", "points", ("done", "2"), ("refused", "0"));
        await RowAsync(page, "by-service", "seal", ("done", "1"));
        await RowAsync(page, "by-hour", "09", ("done", "4"));
        await RowAsync(page, "by-hour", "10", ("done", "4"));
        await RowAsync(page, "by-hour", "11", ("done", "1"), ("refused", "1"));
        await RowAsync(page, "by-terminal", "131016-T001", ("done", "6"));
        await RowAsync(page, "by-terminal", "131016-T002", ("done", "3"));
        await Expect(page.Locator("#refusals tr[data-key='library|Suspended'] [data-figure='count']")).ToHaveTextAsync("1", Text);

        // The fleet: the two terminals that worked synced at 17:15; the one enrolled but never switched on is
        // highlighted; no other municipality's terminal is listed.
        var fleet = page.Locator("#fleet tbody tr");
        await Expect(fleet).ToHaveCountAsync(3);
        await Expect(page.Locator("#fleet tr.stale")).ToHaveCountAsync(1);
        await Expect(page.Locator($"#fleet tr.stale[data-terminal='{NeverSeen}']")).ToContainTextAsync("接続記録なし");
        await Expect(page.Locator("#fleet tr[data-terminal='131016-T001']")).ToContainTextAsync("central-library");
        await Expect(page.Locator("#fleet tr[data-terminal='131016-T002']")).ToContainTextAsync("kanda-branch");
        await Expect(page.Locator("#fleet tr[data-terminal='131016-T001'] [data-field='lastContact']"))
            .ToContainTextAsync(World.Day.ToString("yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#fleet tr[data-terminal='131016-T001'] [data-field='backlog']")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9]+$"), Text);

        await ChartsLoadedAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "dashboard-131016");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#by-service a.csv").ClickAsync());
        Assert.Equal($"usage-131016-{Day}-{Day}-service.csv", download.SuggestedFilename);
        var csv = await File.ReadAllBytesAsync(await download.PathAsync(), TestContext.Current.CancellationToken);
        Assert.Equal([0xEF, 0xBB, 0xBF], csv[..3]);
        Assert.Equal(
            ["サービス (Service),利用件数 (Done),うちオフライン (Offline),オフライン率 (Offline share),拒否件数 (Refused)", "library,6,0,0.0000,1", "points,2,0,0.0000,0", "seal,1,0,0.0000,0"],
            Encoding.UTF8.GetString(csv, 3, csv.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries));

        // Both municipalities side by side: central IT's certificate names both.
        await page.Locator("#municipality").SelectOptionAsync("*");
        await ShownAsync(page, "*");
        await RowAsync(page, "by-municipality", "011002", ("done", "4"), ("offline", "3"));
        await RowAsync(page, "by-municipality", "131016", ("done", "9"), ("refused", "1"));
        await Expect(fleet).ToHaveCountAsync(4);
        await ChartsLoadedAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "dashboard-all");
    }

    [Fact]
    public async Task An_administrator_of_011002_alone_sees_none_of_131016s_figures()
    {
        browser.RequireBrowser();
        // The PKCS#12 the tool wrote for a browser import (ca issue-admin --pkcs12).
        await using var context = await NewContextAsync(new ClientCertificate
        {
            Origin = Origin, PfxPath = Path.ChangeExtension(played.SapporoCertificate, ".p12"), Passphrase = CentralIt.Passphrase,
        });
        var page = await context.NewPageAsync();

        // Asking for 131016 in the address does not get it: the picker has only 011002.
        await page.GotoAsync($"{World.Hub.Dashboard}?municipality=131016");
        await ShownAsync(page, "011002");
        await Expect(page.Locator("#municipality option")).ToHaveCountAsync(1);
        await Expect(page.Locator("#municipality option")).ToHaveAttributeAsync("value", "011002");

        // Three check-ins while the line was down, one check-out after.
        await FigureAsync(page, "#summary", "done", "4");
        await FigureAsync(page, "#summary", "offline", "3");
        await FigureAsync(page, "#summary", "offlineShare", "75.0%");
        await FigureAsync(page, "#summary", "refused", "0");
        await RowAsync(page, "by-service", "shelter", ("done", "4"), ("offline", "3"));
        await Expect(page.Locator("#fleet tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#fleet tr[data-terminal='011002-T001']")).ToContainTextAsync("kita-shelter");
        await ChartsLoadedAsync(page);
        var text = await page.Locator("body").InnerTextAsync();
        foreach (var other in new[] { "131016", "千代田", "library", "central-library", "kanda-branch" })
        {
            Assert.DoesNotContain(other, text, StringComparison.Ordinal);
        }
        await BrowserFixture.ScreenshotAsync(page, "dashboard-011002-admin");

        // The hub refuses 131016 itself, whatever the page offers: to the page's own requests and to the address bar.
        var status = await page.EvaluateAsync<int>($"async () => (await fetch('api/usage?municipality=131016&from={Day}&to={Day}')).status");
        Assert.Equal(403, status);
        var csv = await page.GotoAsync(new Uri(World.Hub.Dashboard, $"api/usage.csv?municipality=131016&from={Day}&to={Day}&table=service").ToString());
        Assert.Equal(403, csv!.Status);
        Assert.Contains("許可されていません", await csv.TextAsync(), StringComparison.Ordinal);
        var fleet = await page.GotoAsync(new Uri(World.Hub.Dashboard, "api/fleet?municipality=131016").ToString());
        Assert.Equal(403, fleet!.Status);
        Assert.DoesNotContain("131016-T00", await fleet.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_browser_without_a_certificate_gets_no_page()
    {
        browser.RequireBrowser();
        // Server trust aside (the hub CA is not in this browser), the handshake itself is refused.
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        var page = await context.NewPageAsync();
        var e = await Assert.ThrowsAsync<PlaywrightException>(() => page.GotoAsync(World.Hub.Dashboard.ToString()));
        Assert.Contains("net::ERR_", e.Message, StringComparison.Ordinal);
    }

    private string Origin => World.Hub.Address.GetLeftPart(UriPartial.Authority);

    /// <summary>
    /// A context presenting <paramref name="certificate"/> to the hub. Playwright presents client
    /// certificates from its driver (a proxy between the browser and the hub); that proxy checks the
    /// hub's server certificate against the hub CA, which it was started to trust (<see cref="PlayedDay.BrowserAsync"/>).
    /// </summary>
    private async Task<IBrowserContext> NewContextAsync(ClientCertificate certificate)
    {
        var trusting = await played.BrowserAsync();
        return await trusting.NewContextAsync(new BrowserNewContextOptions { ClientCertificates = [certificate], Locale = "ja-JP", AcceptDownloads = true });
    }

    private static async Task ShownAsync(IPage page, string municipality)
    {
        var body = page.Locator("body");
        await Expect(body).ToHaveAttributeAsync("data-state", "ready", Attribute);
        await Expect(body).ToHaveAttributeAsync("data-shown", new System.Text.RegularExpressions.Regex($"^{System.Text.RegularExpressions.Regex.Escape(municipality)}\\|"), Attribute);
        await Expect(body).ToHaveAttributeAsync("data-state", "ready", Attribute);
    }

    private static Task FigureAsync(IPage page, string scope, string figure, string expected) =>
        Expect(page.Locator($"{scope} [data-figure='{figure}']")).ToHaveTextAsync(expected, Text);

    private static async Task RowAsync(IPage page, string section, string key, params (string Figure, string Value)[] figures)
    {
        foreach (var (figure, value) in figures)
        {
            await Expect(page.Locator($"#{section} tr[data-key='{key}'] [data-figure='{figure}']")).ToHaveTextAsync(value, Text);
        }
    }

    /// <summary>Every chart the page shows has arrived from the hub and decoded.</summary>
    private static Task ChartsLoadedAsync(IPage page) =>
        page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('img.chart')].every(i => i.hidden || (i.complete && i.naturalWidth > 0))",
            null, new PageWaitForFunctionOptions { Timeout = 60_000 });

    /// <summary>
    /// The demo's world with its scripted day played once for the class, a second administrator
    /// issued by the tool for 011002 alone, and a Chromium whose Playwright driver trusts this
    /// world's hub CA (NODE_EXTRA_CA_CERTS, read when the driver starts).
    /// </summary>
    public sealed class PlayedDay : IAsyncLifetime
    {
        private readonly WorldFixture _world = new();
        private readonly SemaphoreSlim _launch = new(1, 1);
        private IPlaywright? _playwright;
        private IBrowser? _browser;

        public DemoWorld World => _world.World;

        public string SapporoCertificate { get; private set; } = string.Empty;

        public async ValueTask InitializeAsync()
        {
            await _world.InitializeAsync();
            await new ScriptedDay(World).PlayAsync();
            SapporoCertificate = await World.CentralIt.IssueAdministratorAsync(SapporoAdministrator, "municipality-admin", [Cast.Sapporo]);
            var (channel, admin) = World.CentralIt.ConnectAdmin(World.Hub.Address);
            using (channel)
            {
                await admin.PutMasterAsync(new PutMasterRequest
                {
                    Municipality = Cast.Chiyoda, Kind = MasterKinds.Terminal, Key = NeverSeen, PayloadJson = """{"site":"kanda-branch","status":"active"}""",
                }, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        public async Task<IBrowser> BrowserAsync()
        {
            await _launch.WaitAsync(TestContext.Current.CancellationToken);
            try
            {
                if (_browser is null)
                {
                    // Process-wide, but only for the moment the driver starts: it copies the environment then.
                    var before = Environment.GetEnvironmentVariable("NODE_EXTRA_CA_CERTS");
                    Environment.SetEnvironmentVariable("NODE_EXTRA_CA_CERTS", World.Folders.HubCaCertificate);
                    try
                    {
                        _playwright = await Playwright.CreateAsync();
                    }
                    finally
                    {
                        Environment.SetEnvironmentVariable("NODE_EXTRA_CA_CERTS", before);
                    }
                    _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                    {
                        ExecutablePath = BrowserFixture.ChromiumPath, Headless = true, Args = BrowserFixture.Flags,
                    });
                }
                return _browser;
            }
            finally
            {
                _launch.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
            }
            _playwright?.Dispose();
            _launch.Dispose();
            await _world.DisposeAsync();
        }
    }
}
