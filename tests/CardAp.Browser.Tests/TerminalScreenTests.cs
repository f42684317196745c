using System.Text.RegularExpressions;
using CardAp.Demo;
using CardAp.Demo.Script;
using CardAp.Demo.Site;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CardAp.Browser.Tests;

/// <summary>
/// The terminal screen in headless Chromium, served by the demo's terminals (the real edge hosts with
/// virtual readers, a real hub behind each terminal's line). The tests act as the clerk or resident
/// would: cards into the readers, PINs on the keypad, buttons; every wait is for something on screen.
/// </summary>
[Collection(BrowserFixture.CollectionName)]
public sealed partial class TerminalScreenTests(BrowserFixture browser, WorldFixture fixture) : IClassFixture<WorldFixture>
{
    // Generous: the whole system shares two cores with other work; nothing here waits longer than needed.
    private const float Patience = 30_000;

    private DemoWorld World => fixture.World;

    [Fact]
    public async Task A_librarian_signs_in_on_the_keypad_identifies_a_resident_and_checks_out_a_book()
    {
        browser.RequireBrowser();
        var library = World.Terminal(Cast.Library);
        await using var screen = await OpenAsync(library);
        var page = screen.Page;

        await Expect(page.GetByTestId("view-waiting")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("waiting-title")).ToHaveTextAsync("操作者カードを挿入してください");
        await Expect(page.GetByTestId("status-terminal")).ToContainTextAsync(Cast.Library.TerminalId);
        await Expect(page.GetByTestId("status-online")).ToHaveAttributeAsync("data-state", "online");
        await ShotAsync(page, "terminal-01-waiting");

        library.Insert(TerminalSite.OperatorReader, World.Card(Cast.Librarian.Card));
        await Expect(page.GetByTestId("view-sign-in")).ToBeVisibleAsync();
        foreach (var digit in CentralIt.Pin)
        {
            await page.GetByTestId($"signin-key-{digit}").ClickAsync();
        }
        await Expect(page.GetByTestId("signin-pin")).ToHaveAttributeAsync("data-length", "4");
        // The PIN is shown as dots only.
        Assert.DoesNotContain(CentralIt.Pin, await page.ContentAsync(), StringComparison.Ordinal);
        await ShotAsync(page, "terminal-02-sign-in");
        await page.GetByTestId("signin-submit").ClickAsync();

        await Expect(page.GetByTestId("view-resident-waiting")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("status-operator")).ToContainTextAsync(Cast.Librarian.Id);
        await ShotAsync(page, "terminal-03-resident-waiting");

        library.Insert(TerminalSite.ResidentReader, World.Card("C-A001"));
        await Expect(page.GetByTestId("resident-card")).ToHaveTextAsync("C-A001");
        await Expect(page.GetByTestId("membership-library")).ToContainTextAsync("L-0001");
        await ShotAsync(page, "terminal-04-resident");

        await page.GetByTestId("op-library-checkout").ClickAsync();
        await Expect(page.GetByTestId("operation-title")).ToHaveTextAsync("貸出");
        await page.GetByTestId("field-item").FillAsync("B-201");
        await ShotAsync(page, "terminal-05-checkout");
        await page.GetByTestId("execute").ClickAsync();

        await Expect(page.GetByTestId("view-result")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("result-message")).ToContainTextAsync("資料 B-201 を貸し出しました");
        await Expect(page.GetByTestId("result-message-other")).ToContainTextAsync("Book B-201 checked out");
        await Expect(page.GetByTestId("result-details")).ToContainTextAsync("返却期限");
        await ShotAsync(page, "terminal-06-done");

        // English on request, everything at once, and back.
        await page.GetByTestId("lang-toggle").ClickAsync();
        await Expect(page.GetByTestId("result-message")).ToContainTextAsync("Book B-201 checked out");
        await Expect(page.GetByTestId("status-online")).ToHaveTextAsync("Online");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await ShotAsync(page, "terminal-07-done-english");
        await page.GetByTestId("lang-toggle").ClickAsync();
        await Expect(page.GetByTestId("status-online")).ToHaveTextAsync("オンライン");

        // The next resident: the card comes out, the screen waits for another.
        library.Remove(TerminalSite.ResidentReader);
        await Expect(page.GetByTestId("view-resident-waiting")).ToBeVisibleAsync();
        // The operator card leaves: signed out.
        library.Remove(TerminalSite.OperatorReader);
        await Expect(page.GetByTestId("view-waiting")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("status-operator")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task A_suspended_card_is_refused_with_the_reason_in_japanese_and_english()
    {
        browser.RequireBrowser();
        var library = World.Terminal(Cast.Library);
        await World.CentralIt.SuspendCardAsync(Cast.Chiyoda, "C-A004", "紛失届 / reported lost");
        await DemoWorld.SyncAsync(library);

        await using var screen = await OpenAsync(library);
        var page = screen.Page;
        await SignInAsync(page, library, Cast.Librarian);
        library.Insert(TerminalSite.ResidentReader, World.Card("C-A004"));

        await Expect(page.GetByTestId("refusal")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("refusal-reason")).ToHaveTextAsync("Suspended");
        await Expect(page.GetByTestId("refusal-message")).ToContainTextAsync("このカードは一時停止中です");
        await Expect(page.GetByTestId("refusal-message-other")).ToContainTextAsync("This card is suspended");
        await ShotAsync(page, "terminal-08-refused-suspended");

        // Another resident's card clears it.
        library.Remove(TerminalSite.ResidentReader);
        await Expect(page.GetByTestId("refusal")).ToBeHiddenAsync();
        library.Remove(TerminalSite.OperatorReader);
    }

    [Fact]
    public async Task The_shelter_works_offline_says_so_and_its_backlog_empties_once_the_line_is_back()
    {
        browser.RequireBrowser();
        var shelter = World.Terminal(Cast.Shelter);
        await using var screen = await OpenAsync(shelter);
        var page = screen.Page;
        await Expect(page.GetByTestId("status-online")).ToHaveAttributeAsync("data-state", "online");
        await Expect(page.GetByTestId("offline-banner")).ToBeHiddenAsync();

        // At a shelter the clerk may well use a keyboard.
        shelter.Insert(TerminalSite.OperatorReader, World.Card(Cast.ShelterStaff.Card));
        await Expect(page.GetByTestId("view-sign-in")).ToBeVisibleAsync();
        await page.Keyboard.TypeAsync(CentralIt.Pin);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("view-resident-waiting")).ToBeVisibleAsync();

        shelter.Link.Cut();
        // Asking for a sync makes the terminal find out now rather than at its next probe.
        await page.GetByTestId("sync-now").ClickAsync();
        await Expect(page.GetByTestId("offline-banner")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("offline-banner")).ToContainTextAsync("オフラインで稼働中です");
        await Expect(page.GetByTestId("status-online")).ToHaveAttributeAsync("data-state", "offline");

        shelter.Insert(TerminalSite.ResidentReader, World.Card("C-B001"));
        await Expect(page.GetByTestId("resident-card")).ToHaveTextAsync("C-B001");
        await page.GetByTestId("op-shelter-checkin").ClickAsync();
        await page.GetByTestId("field-shelter").FillAsync(Cast.ShelterId);
        await page.GetByTestId("field-household").FillAsync("3");
        await page.GetByTestId("execute").ClickAsync();
        await Expect(page.GetByTestId("view-result")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("result-details")).ToContainTextAsync("定員");
        await Expect(page.GetByTestId("status-backlog")).ToHaveAttributeAsync("data-count", NonZero());
        await Expect(page.GetByTestId("offline-banner")).ToBeVisibleAsync();
        await ShotAsync(page, "terminal-09-offline");

        shelter.Link.Restore();
        // A line just restored may refuse the first connection: ask again until the terminal has caught up.
        for (var attempt = 1; ; attempt++)
        {
            await page.GetByTestId("sync-now").ClickAsync();
            await Expect(page.GetByTestId("sync-now")).ToBeEnabledAsync();
            try
            {
                await Expect(page.GetByTestId("status-backlog")).ToHaveAttributeAsync("data-count", "0", new() { Timeout = 5_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 6)
            {
                // Not yet: another sync.
            }
        }
        await Expect(page.GetByTestId("offline-banner")).ToBeHiddenAsync();
        await Expect(page.GetByTestId("status-online")).ToHaveAttributeAsync("data-state", "online");
        await ShotAsync(page, "terminal-10-back-online");

        shelter.Remove(TerminalSite.ResidentReader);
        shelter.Remove(TerminalSite.OperatorReader);
    }

    [Fact]
    public async Task A_resident_alone_at_a_kiosk_checks_out_with_the_card_and_pin()
    {
        browser.RequireBrowser();
        var library = World.Terminal(Cast.Library);
        await using var screen = await OpenAsync(library, kiosk: true);
        var page = screen.Page;
        await Expect(page.GetByTestId("waiting-title")).ToHaveTextAsync("マイナンバーカードを置いてください");
        await Expect(page.GetByTestId("sign-out")).ToBeHiddenAsync();
        await ShotAsync(page, "kiosk-01-waiting");

        library.Insert(TerminalSite.ResidentReader, World.Card("C-A002"));
        await Expect(page.GetByTestId("resident-card")).ToHaveTextAsync("C-A002");
        // Only what a resident may do alone, where registered.
        await Expect(page.GetByTestId("op-library-checkout")).ToBeEnabledAsync();
        await ShotAsync(page, "kiosk-02-choose");
        await page.GetByTestId("op-library-checkout").ClickAsync();
        await page.GetByTestId("field-item").FillAsync("B-301");
        await Expect(page.GetByTestId("operation-pin")).ToBeVisibleAsync();

        // Without the PIN the terminal says what is missing.
        await page.GetByTestId("execute").ClickAsync();
        await Expect(page.GetByTestId("refusal-reason")).ToHaveTextAsync("InvalidArgument");
        await Expect(page.GetByTestId("refusal-message")).ToContainTextAsync("暗証番号");

        foreach (var digit in CentralIt.Pin)
        {
            await page.GetByTestId($"pin-key-{digit}").ClickAsync();
        }
        await ShotAsync(page, "kiosk-03-pin");
        await page.GetByTestId("execute").ClickAsync();
        await Expect(page.GetByTestId("result-message")).ToContainTextAsync("資料 B-301 を貸し出しました");
        await Expect(page.GetByTestId("result-take-card")).ToBeVisibleAsync();
        await ShotAsync(page, "kiosk-04-done");

        await page.GetByTestId("result-next").ClickAsync();
        await Expect(page.GetByTestId("waiting-title")).ToHaveTextAsync("カードをお取りください。ご利用ありがとうございました。");
        library.Remove(TerminalSite.ResidentReader);
        await Expect(page.GetByTestId("waiting-title")).ToHaveTextAsync("マイナンバーカードを置いてください");
    }

    [Fact]
    public async Task Training_mode_shows_in_its_own_colour_and_its_records_say_they_do_not_count()
    {
        browser.RequireBrowser();
        var counter = World.Terminal(Cast.Counter);
        await using var screen = await OpenAsync(counter);
        var page = screen.Page;
        await SignInAsync(page, counter, Cast.Clerk);
        await Expect(page.GetByTestId("status-training")).ToBeHiddenAsync();

        await page.GetByTestId("training-toggle").ClickAsync();
        await Expect(page.GetByTestId("status-training")).ToBeVisibleAsync();
        await Expect(page.Locator("body")).ToHaveClassAsync(new Regex("training"));

        counter.Insert(TerminalSite.ResidentReader, World.Card("C-A002"));
        await page.GetByTestId("op-points-accrue").ClickAsync();
        await page.GetByTestId("field-points").FillAsync("10");
        await page.GetByTestId("field-reason").FillAsync("研修 / training");
        await page.GetByTestId("execute").ClickAsync();
        await Expect(page.GetByTestId("result-training")).ToBeVisibleAsync();
        await ShotAsync(page, "terminal-11-training");

        await page.GetByTestId("training-toggle").ClickAsync();
        await Expect(page.GetByTestId("status-training")).ToBeHiddenAsync();
        counter.Remove(TerminalSite.ResidentReader);
        counter.Remove(TerminalSite.OperatorReader);
    }

    [Fact]
    public async Task An_online_only_operation_is_refused_while_offline_and_says_why()
    {
        browser.RequireBrowser();
        var counter = World.Terminal(Cast.Counter);
        await using var screen = await OpenAsync(counter);
        var page = screen.Page;
        await SignInAsync(page, counter, Cast.Clerk);
        counter.Link.Cut();
        try
        {
            await page.GetByTestId("sync-now").ClickAsync();
            await Expect(page.GetByTestId("offline-banner")).ToBeVisibleAsync();
            counter.Insert(TerminalSite.ResidentReader, World.Card("C-A003"));
            await Expect(page.GetByTestId("op-seal-request-certificate")).ToContainTextAsync("オンライン限定（現在オフライン）");
            await page.GetByTestId("op-seal-request-certificate").ClickAsync();
            await page.GetByTestId("field-copies").FillAsync("1");
            foreach (var digit in CentralIt.Pin)
            {
                await page.GetByTestId($"pin-key-{digit}").ClickAsync();
            }
            await page.GetByTestId("execute").ClickAsync();
            await Expect(page.GetByTestId("refusal-reason")).ToHaveTextAsync("OnlineOnly");
            await Expect(page.GetByTestId("refusal-message")).ToContainTextAsync("中央システムとの接続が必要ですが、現在接続できません");
            await Expect(page.GetByTestId("refusal-message-other")).ToContainTextAsync("needs the central system");
            // Refused before anything was recorded: the same screen, ready for a new attempt once online.
            await Expect(page.GetByTestId("view-operation")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("execute")).ToHaveTextAsync("実行する");
            await ShotAsync(page, "terminal-13-online-only-offline");
        }
        finally
        {
            counter.Link.Restore();
        }
        await DemoWorld.SyncAsync(counter);
        await Expect(page.GetByTestId("offline-banner")).ToBeHiddenAsync();
        counter.Remove(TerminalSite.ResidentReader);
        counter.Remove(TerminalSite.OperatorReader);
    }

    [Fact]
    public async Task Operations_the_role_may_not_do_are_shown_but_not_offered()
    {
        browser.RequireBrowser();
        // The librarian of the same municipality at the branch counter: points and seal are not theirs.
        var counter = World.Terminal(Cast.Counter);
        await using var screen = await OpenAsync(counter);
        var page = screen.Page;
        await SignInAsync(page, counter, Cast.Librarian);
        counter.Insert(TerminalSite.ResidentReader, World.Card("C-A003"));
        await Expect(page.GetByTestId("op-seal-request-certificate")).ToBeDisabledAsync();
        await Expect(page.GetByTestId("op-seal-request-certificate")).ToContainTextAsync("この操作の権限がありません");
        await ShotAsync(page, "terminal-12-role");
        counter.Remove(TerminalSite.ResidentReader);
        counter.Remove(TerminalSite.OperatorReader);
    }

    // From the top, so the status bar is where a clerk sees it (a full-page shot of a scrolled page shows it mid-page).
    private static async Task ShotAsync(IPage page, string name)
    {
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await BrowserFixture.ScreenshotAsync(page, name);
    }

    private async Task SignInAsync(IPage page, TerminalSite terminal, StaffMember staff)
    {
        terminal.Insert(TerminalSite.OperatorReader, World.Card(staff.Card));
        await Expect(page.GetByTestId("view-sign-in")).ToBeVisibleAsync();
        foreach (var digit in CentralIt.Pin)
        {
            await page.GetByTestId($"signin-key-{digit}").ClickAsync();
        }
        await page.GetByTestId("signin-submit").ClickAsync();
        await Expect(page.GetByTestId("status-operator")).ToContainTextAsync(staff.Id);
    }

    /// <summary>A fresh page on the terminal's screen, both readers empty first (tests share the world).</summary>
    private async Task<Screen> OpenAsync(TerminalSite terminal, bool kiosk = false)
    {
        terminal.Remove(TerminalSite.OperatorReader);
        terminal.Remove(TerminalSite.ResidentReader);
        SetDefaultExpectTimeout(Patience);
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = "ja-JP",
            TimezoneId = "Asia/Tokyo",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(Patience);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("Failed to load resource", StringComparison.Ordinal))
            {
                errors.Add(message.Text);
            }
        };
        await page.GotoAsync(new Uri(terminal.ScreenAddress, kiosk ? "?mode=kiosk" : "").ToString());
        return new Screen(context, page, errors, fixture);
    }

    [GeneratedRegex("^[1-9][0-9]*$")]
    private static partial Regex NonZero();

    /// <summary>The page and its browser context; on dispose, no script error may have happened.</summary>
    private sealed class Screen(IBrowserContext context, IPage page, List<string> errors, WorldFixture fixture) : IAsyncDisposable
    {
        public IPage Page { get; } = page;

        public async ValueTask DisposeAsync()
        {
            await context.DisposeAsync();
            Assert.True(errors.Count == 0, $"script errors on the screen: {string.Join(" | ", errors)}\n{fixture.Narration}");
        }
    }
}
