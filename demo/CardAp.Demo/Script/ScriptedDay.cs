using CardAp.Edge.Api;

namespace CardAp.Demo.Script;

/// <summary>
/// The day the demo plays on a provisioned <see cref="DemoWorld"/>: sign-ins, library loans, points,
/// a seal certificate the hub settles, a card suspended centrally and refused, a shelter that loses
/// its line at 12:00 and catches up at 15:30, then the hub's report. tests/CardAp.Demo.Tests holds
/// the report to exactly these figures.
/// </summary>
public sealed class ScriptedDay(DemoWorld world)
{
    public async Task<DemoResult> PlayAsync()
    {
        await MorningAsync();
        await SuspensionAsync();
        await OutageAsync();
        await CatchUpAsync();
        return await ReportAsync();
    }

    private async Task MorningAsync()
    {
        world.Clock.AdvanceTo(world.At(8, 45));
        world.Narrator.Scene("08:45 staff sign in with their operator card and PIN", "08:45 職員が操作者識別カードと暗証番号でサインイン");
        await world.SignInAsync(Cast.Library, Cast.Librarian);
        await world.SignInAsync(Cast.Counter, Cast.Clerk);
        await world.SignInAsync(Cast.Shelter, Cast.ShelterStaff);

        world.Clock.AdvanceTo(world.At(9, 10));
        world.Narrator.Scene("09:10 the library lends books", "09:10 図書館の貸出");
        var books = new[] { ("C-A001", "B-101"), ("C-A002", "B-102"), ("C-A003", "B-103"), ("C-A004", "B-104"), ("C-A001", "B-105") };
        var at = world.At(9, 10);
        foreach (var (card, book) in books)
        {
            world.Clock.AdvanceTo(at = at.AddMinutes(12));
            await world.ServeAsync(Cast.Library, card, "library", "checkout", pin: null, ("item", book));
        }
        world.Clock.AdvanceTo(world.At(10, 40));
        await world.ServeAsync(Cast.Library, "C-A001", "library", "return", pin: null, ("item", "B-101"));

        world.Clock.AdvanceTo(world.At(10, 45));
        world.Narrator.Scene("10:45 the branch counter: local points, and a seal certificate the hub must settle (online-only)",
            "10:45 出張所窓口: 地域ポイントと、ハブの確認が必要な印鑑登録証明書（オンライン限定）");
        await world.ServeAsync(Cast.Counter, "C-A001", "points", "accrue", pin: null, ("points", "50"), ("reason", "健康診断 / health check"));
        world.Clock.AdvanceTo(world.At(10, 55));
        await world.ServeAsync(Cast.Counter, "C-A002", "points", "accrue", pin: null, ("points", "30"), ("reason", "ボランティア / volunteering"));
        world.Clock.AdvanceTo(world.At(11, 5));
        await world.ServeAsync(Cast.Counter, "C-A003", "seal", "request-certificate", pin: CentralIt.Pin, ("copies", "2"));
    }

    private async Task SuspensionAsync()
    {
        world.Clock.AdvanceTo(world.At(11, 30));
        world.Narrator.Scene("11:30 a resident reports card C-A004 lost: central IT suspends it at the hub", "11:30 カード C-A004 の紛失届: 中央IT部門がハブで一時停止");
        await world.CentralIt.SuspendCardAsync(Cast.Chiyoda, "C-A004", "紛失届 / reported lost");
        await DemoWorld.SyncAsync(world.Terminal(Cast.Library));
        world.Clock.AdvanceTo(world.At(11, 50));
        world.Narrator.Say("11:50 someone presents card C-A004 at the library / 11:50 図書館で C-A004 が提示される");
        await world.ServeAsync(Cast.Library, "C-A004", "library", "checkout", pin: null, ("item", "B-106"));
    }

    private async Task OutageAsync()
    {
        var shelter = world.Terminal(Cast.Shelter);
        world.Clock.AdvanceTo(world.At(12, 0));
        world.Narrator.Scene("12:00 the shelter's LGWAN line goes down; the shelter keeps receiving evacuees", "12:00 避難所の LGWAN 回線が断: 避難所は受付を継続");
        shelter.Link.Cut();
        var failed = await shelter.Api.SyncNowAsync(new SyncNowRequest());
        world.Narrator.Say($"{shelter.Id} sync: {failed.MessageEn} / {failed.MessageJa}");
        var checkIns = new[] { ("C-B001", "2"), ("C-B002", "1"), ("C-B003", "4") };
        var at = world.At(13, 0);
        foreach (var (card, household) in checkIns)
        {
            world.Clock.AdvanceTo(at = at.AddMinutes(35));
            await world.ServeAsync(Cast.Shelter, card, "shelter", "checkin", pin: null, ("shelter", Cast.ShelterId), ("household", household));
        }
        var status = await shelter.Api.GetStatusAsync(new StatusRequest());
        world.Narrator.Say($"{shelter.Id} status / 状態: {(status.Online ? "online / オンライン" : "OFFLINE / オフライン")}, waiting for the hub / 未送信: {status.Sync.Backlog} records");
        if (status.Online)
        {
            throw new DemoException($"{shelter.Id} should be offline with its line cut, but says it is online.");
        }
    }

    private async Task CatchUpAsync()
    {
        var shelter = world.Terminal(Cast.Shelter);
        world.Clock.AdvanceTo(world.At(15, 30));
        world.Narrator.Scene("15:30 the line is back: the shelter catches up", "15:30 回線復旧: 避難所の未送信分を送信");
        shelter.Link.Restore();
        var reply = await DemoWorld.SyncAsync(shelter);
        var status = await shelter.Api.GetStatusAsync(new StatusRequest());
        world.Narrator.Say($"{shelter.Id}: {reply.MessageEn} Status {(status.Online ? "online / オンライン" : "offline / オフライン")}, backlog / 未送信 {status.Sync.Backlog}");
        world.Clock.AdvanceTo(world.At(16, 0));
        await world.ServeAsync(Cast.Shelter, "C-B002", "shelter", "checkout", pin: null, ("shelter", Cast.ShelterId));
    }

    private async Task<DemoResult> ReportAsync()
    {
        world.Clock.AdvanceTo(world.At(17, 15));
        world.Narrator.Scene("17:15 end of the day: every terminal syncs, the hub reports the day (CSV and PNG)", "17:15 終業: 全端末が同期し、ハブが利用統計を出力（CSV・PNG）");
        foreach (var terminal in world.Terminals)
        {
            await DemoWorld.SyncAsync(terminal);
        }
        var (channel, _) = world.CentralIt.ConnectAdmin(world.Hub.Address);
        using (channel)
        {
            var report = await DayReport.WriteAsync(new CardAp.Hub.Api.Reports.ReportsClient(channel), [Cast.Chiyoda, Cast.Sapporo], world.Day, world.Folders.Report, world.Narrator);
            return new DemoResult(world.Day, world.Folders.Report, report.Files, report.Usage);
        }
    }
}
