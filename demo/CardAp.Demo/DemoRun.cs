using System.Net;
using System.Text.Json.Nodes;
using CardAp.Demo.Script;
using CardAp.Demo.Site;
using CardAp.Edge.Api;
using CardAp.Hub.Api;
using CardAp.Shared.Domain;
using CardAp.Shared.Hours;
using CardAp.VirtualCard;
using Grpc.Core;

namespace CardAp.Demo;

/// <summary>What the demo is asked to do: where to work, and whether to stay up afterwards.</summary>
public sealed record DemoOptions(string Folder, bool Serve = false);

/// <summary>The day's outcome: the report's files and the hub's figures per municipality and service.</summary>
public sealed record DemoResult(DateOnly Day, string ReportFolder, IReadOnlyList<string> Files, IReadOnlyDictionary<string, UsageReply> Usage);

/// <summary>
/// The whole system in one process: central IT provisions a hub shared by two municipalities and
/// three terminals with cardap-provision's code, then a scripted day runs at the terminals (sign-ins,
/// library loans, points, a seal certificate the hub must settle, a card suspended centrally, a shelter
/// that loses its line and keeps serving), and the hub's statistics report closes it.
/// </summary>
public sealed class DemoRun : IAsyncDisposable
{
    private readonly DemoFolders _folders;
    private readonly Narrator _say;
    private readonly DemoClock _clock;
    private readonly CentralIt _it;
    private readonly Dictionary<string, ISmartCard> _cards = [];
    private readonly Dictionary<string, string> _sessions = [];
    private readonly List<TerminalSite> _terminals = [];
    private HubSite? _hub;
    private int _requests;

    private DemoRun(DemoOptions options, TextWriter output)
    {
        _folders = new DemoFolders(options.Folder);
        _say = new Narrator(output);
        Day = NextWorkingDay(JapanTime.DateOf(DateTimeOffset.UtcNow));
        _clock = new DemoClock(At(8, 0));
        _it = new CentralIt(_folders, _say);
    }

    /// <summary>The scripted day: the next working day in Japan, so every card and certificate issued today is valid on it.</summary>
    public DateOnly Day { get; }

    public HubSite Hub => _hub ?? throw new InvalidOperationException("The hub has not started.");

    public IReadOnlyList<TerminalSite> Terminals => _terminals;

    public static async Task<DemoResult> RunAsync(DemoOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        await using var run = new DemoRun(options, output);
        var result = await run.PlayAsync(cancellationToken);
        if (options.Serve)
        {
            await run.ServeAsync(output, cancellationToken);
        }
        return result;
    }

    private async Task<DemoResult> PlayAsync(CancellationToken cancellationToken)
    {
        _folders.Reset();
        _say.Say($"Working folder / 作業フォルダ: {_folders.Root}");
        _say.Say($"Scripted day / シナリオの日: {Day:yyyy-MM-dd} ({Day.DayOfWeek})");

        await SetUpHubAsync(cancellationToken);
        await EnrolTerminalsAsync(cancellationToken);
        await IssueCardsAsync();
        await FirstSyncAsync();
        await MorningAsync();
        await SuspensionAsync();
        await OutageAsync();
        await CatchUpAsync();
        return await ReportAsync();
    }

    private async Task SetUpHubAsync(CancellationToken cancellationToken)
    {
        _say.Scene("Central IT creates the hub CA and starts the hub shared by two municipalities (SQLite)",
            "中央IT部門がハブCAを作成し、2市町村で共同利用するハブを起動（SQLite）");
        await _it.CreateCaAsync();
        await _it.IssueAdministratorAsync([Cast.Chiyoda, Cast.Sapporo]);
        _hub = await HubSite.StartAsync(_folders, _clock, port: 0, cancellationToken);
        _say.Say($"hub / ハブ: {Hub.Address} (mutual TLS)");
        _it.UseHub(Hub.Address);
        await _it.CreateMunicipalityAsync(Cast.Chiyoda, Cast.ChiyodaName);
        await _it.CreateMunicipalityAsync(Cast.Sapporo, Cast.SapporoName);

        // Master data the tool has no command for yet: the shelter list and the seal register.
        var (channel, admin) = _it.ConnectAdmin(Hub.Address);
        using (channel)
        {
            await admin.PutMasterAsync(new PutMasterRequest
            {
                Municipality = Cast.Sapporo,
                Kind = MasterKinds.Shelter,
                Key = Cast.ShelterId,
                PayloadJson = new JsonObject { ["capacity"] = 120, ["nameJa"] = "北区避難所（北小学校）", ["nameEn"] = "Kita shelter (Kita elementary school)" }.ToJsonString(),
            }, cancellationToken: cancellationToken);
            await admin.PutMasterAsync(new PutMasterRequest
            {
                Municipality = Cast.Chiyoda,
                Kind = MasterKinds.SealRegistration,
                Key = "S-0003",
                PayloadJson = new JsonObject { ["status"] = "registered", ["registeredOn"] = "2019-04-01" }.ToJsonString(),
            }, cancellationToken: cancellationToken);
        }
        _say.Say("master data / マスタ: shelter kita-1 (capacity 120), seal registration S-0003");
    }

    private async Task EnrolTerminalsAsync(CancellationToken cancellationToken)
    {
        _say.Scene("Central IT enrols three terminals; each starts from its enrolment bundle", "中央IT部門が3台の端末を登録し、各端末が登録パッケージから起動");
        foreach (var role in new[] { Cast.Library, Cast.Counter, Cast.Shelter })
        {
            var link = new LgwanLink(Hub.EndPoint);
            var (bundle, code) = await _it.EnrolAsync(role, new Uri($"https://localhost:{link.Port}"));
            var folder = _folders.Terminal(role.TerminalId);
            TerminalSite.Enrol(bundle, code, folder);
            var site = await TerminalSite.StartAsync(role.TerminalId, role.Name, folder, link, _clock, cancellationToken);
            _terminals.Add(site);
            _say.Say($"{role.TerminalId} {role.Name}: terminal API {site.Address} (services: {string.Join(", ", role.Services)})");
        }
    }

    private TerminalSite Terminal(TerminalRole role) => _terminals.Single(t => t.Id == role.TerminalId);

    private async Task IssueCardsAsync()
    {
        _say.Scene("Central IT issues operator cards and writes the CardAp application to residents' cards", "操作者識別カードの発行と住民カードへのカードAP書込み");
        foreach (var staff in new[] { Cast.Librarian, Cast.Clerk, Cast.ShelterStaff })
        {
            _cards[staff.Card] = await _it.IssueOperatorCardAsync(staff);
        }
        foreach (var resident in Cast.ChiyodaResidents.Concat(Cast.SapporoResidents))
        {
            _cards[resident.Card] = await _it.IssueResidentCardAsync(resident);
        }
    }

    private async Task FirstSyncAsync()
    {
        _say.Scene("The terminals pull their master data from the hub", "各端末がハブからマスタデータを取得");
        foreach (var terminal in _terminals)
        {
            await SyncAsync(terminal);
            var status = await terminal.Api.GetStatusAsync(new StatusRequest());
            _say.Say($"{terminal.Id}: {(status.Online ? "online / オンライン" : "offline / オフライン")}, master data at hub change / マスタ反映位置 {status.Sync.MasterCheckpoint}");
        }
    }

    private async Task MorningAsync()
    {
        _clock.AdvanceTo(At(8, 45));
        _say.Scene("08:45 staff sign in with their operator card and PIN", "08:45 職員が操作者識別カードと暗証番号でサインイン");
        await SignInAsync(Cast.Library, Cast.Librarian);
        await SignInAsync(Cast.Counter, Cast.Clerk);
        await SignInAsync(Cast.Shelter, Cast.ShelterStaff);

        _clock.AdvanceTo(At(9, 10));
        _say.Scene("09:10 the library lends books", "09:10 図書館の貸出");
        var books = new[] { ("C-A001", "B-101"), ("C-A002", "B-102"), ("C-A003", "B-103"), ("C-A004", "B-104"), ("C-A001", "B-105") };
        var at = At(9, 10);
        foreach (var (card, book) in books)
        {
            _clock.AdvanceTo(at = at.AddMinutes(12));
            await ServeAsync(Cast.Library, card, "library", "checkout", pin: null, ("item", book));
        }
        _clock.AdvanceTo(At(10, 40));
        await ServeAsync(Cast.Library, "C-A001", "library", "return", pin: null, ("item", "B-101"));

        _clock.AdvanceTo(At(10, 45));
        _say.Scene("10:45 the branch counter: local points, and a seal certificate the hub must settle (online-only)",
            "10:45 出張所窓口: 地域ポイントと、ハブの確認が必要な印鑑登録証明書（オンライン限定）");
        await ServeAsync(Cast.Counter, "C-A001", "points", "accrue", pin: null, ("points", "50"), ("reason", "健康診断 / health check"));
        _clock.AdvanceTo(At(10, 55));
        await ServeAsync(Cast.Counter, "C-A002", "points", "accrue", pin: null, ("points", "30"), ("reason", "ボランティア / volunteering"));
        _clock.AdvanceTo(At(11, 5));
        await ServeAsync(Cast.Counter, "C-A003", "seal", "request-certificate", pin: CentralIt.Pin, ("copies", "2"));
    }

    private async Task SuspensionAsync()
    {
        _clock.AdvanceTo(At(11, 30));
        _say.Scene("11:30 a resident reports card C-A004 lost: central IT suspends it at the hub", "11:30 カード C-A004 の紛失届: 中央IT部門がハブで一時停止");
        await _it.SuspendCardAsync(Cast.Chiyoda, "C-A004", "紛失届 / reported lost");
        await SyncAsync(Terminal(Cast.Library));
        _clock.AdvanceTo(At(11, 50));
        _say.Say("11:50 someone presents card C-A004 at the library / 11:50 図書館で C-A004 が提示される");
        await ServeAsync(Cast.Library, "C-A004", "library", "checkout", pin: null, ("item", "B-106"));
    }

    private async Task OutageAsync()
    {
        var shelter = Terminal(Cast.Shelter);
        _clock.AdvanceTo(At(12, 0));
        _say.Scene("12:00 the shelter's LGWAN line goes down; the shelter keeps receiving evacuees", "12:00 避難所の LGWAN 回線が断: 避難所は受付を継続");
        shelter.Link.Cut();
        var failed = await shelter.Api.SyncNowAsync(new SyncNowRequest());
        _say.Say($"{shelter.Id} sync: {failed.MessageEn} / {failed.MessageJa}");
        var checkIns = new[] { ("C-B001", "2"), ("C-B002", "1"), ("C-B003", "4") };
        var at = At(13, 0);
        foreach (var (card, household) in checkIns)
        {
            _clock.AdvanceTo(at = at.AddMinutes(35));
            await ServeAsync(Cast.Shelter, card, "shelter", "checkin", pin: null, ("shelter", Cast.ShelterId), ("household", household));
        }
        var status = await shelter.Api.GetStatusAsync(new StatusRequest());
        _say.Say($"{shelter.Id} status / 状態: {(status.Online ? "online / オンライン" : "OFFLINE / オフライン")}, waiting for the hub / 未送信: {status.Sync.Backlog} records");
        if (status.Online)
        {
            throw new DemoException($"{shelter.Id} should be offline with its line cut, but says it is online.");
        }
    }

    private async Task CatchUpAsync()
    {
        var shelter = Terminal(Cast.Shelter);
        _clock.AdvanceTo(At(15, 30));
        _say.Scene("15:30 the line is back: the shelter catches up", "15:30 回線復旧: 避難所の未送信分を送信");
        shelter.Link.Restore();
        var reply = await SyncAsync(shelter);
        var status = await shelter.Api.GetStatusAsync(new StatusRequest());
        _say.Say($"{shelter.Id}: {reply.MessageEn} Status {(status.Online ? "online / オンライン" : "offline / オフライン")}, backlog / 未送信 {status.Sync.Backlog}");
        _clock.AdvanceTo(At(16, 0));
        await ServeAsync(Cast.Shelter, "C-B002", "shelter", "checkout", pin: null, ("shelter", Cast.ShelterId));
    }

    private async Task<DemoResult> ReportAsync()
    {
        _clock.AdvanceTo(At(17, 15));
        _say.Scene("17:15 end of the day: every terminal syncs, the hub reports the day (CSV and PNG)", "17:15 終業: 全端末が同期し、ハブが利用統計を出力（CSV・PNG）");
        foreach (var terminal in _terminals)
        {
            await SyncAsync(terminal);
        }
        var (channel, _) = _it.ConnectAdmin(Hub.Address);
        using (channel)
        {
            var report = await DayReport.WriteAsync(new CardAp.Hub.Api.Reports.ReportsClient(channel), [Cast.Chiyoda, Cast.Sapporo], Day, _folders.Report, _say);
            return new DemoResult(Day, _folders.Report, report.Files, report.Usage);
        }
    }

    private async Task SignInAsync(TerminalRole role, StaffMember staff)
    {
        var terminal = Terminal(role);
        terminal.Insert(TerminalSite.OperatorReader, _cards[staff.Card]);
        var reply = await terminal.Api.SignInAsync(new SignInRequest { Reader = TerminalSite.OperatorReader, Pin = CentralIt.Pin });
        _sessions[terminal.Id] = reply.Session;
        _say.Say($"{terminal.Id}: {staff.Id} ({staff.Role}) signed in / サインイン");
    }

    /// <summary>A resident's card on the reader, one operation, the card taken back; a refusal is part of the story, not a failure.</summary>
    private async Task ServeAsync(TerminalRole role, string card, string service, string operation, string? pin, params (string Key, string Value)[] fields)
    {
        var terminal = Terminal(role);
        var request = new OperationRequest
        {
            RequestId = $"demo-{++_requests:0000}",
            Session = _sessions[terminal.Id],
            Service = service,
            Operation = operation,
            Reader = TerminalSite.ResidentReader,
            Pin = pin ?? string.Empty,
        };
        foreach (var (key, value) in fields)
        {
            request.Fields[key] = value;
        }
        terminal.Insert(TerminalSite.ResidentReader, _cards[card]);
        try
        {
            var reply = await terminal.Api.ExecuteAsync(request);
            _say.Say($"{Clock()} {terminal.Id} {service} {operation} {card}: {reply.MessageEn} / {reply.MessageJa}");
        }
        catch (RpcException e) when (e.Trailers.GetValue("cardap-reason") is { } reason)
        {
            var japanese = e.Trailers.GetValueBytes("cardap-message-ja-bin") is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : string.Empty;
            _say.Say($"{Clock()} {terminal.Id} {service} {operation} {card}: REFUSED ({reason}) {e.Status.Detail} / {japanese}");
        }
        finally
        {
            terminal.Remove(TerminalSite.ResidentReader);
        }
    }

    /// <summary>Syncs now, retrying briefly: a line just restored may refuse the first connection.</summary>
    private static async Task<SyncNowReply> SyncAsync(TerminalSite terminal)
    {
        SyncNowReply reply = null!;
        for (var attempt = 0; attempt < 40; attempt++)
        {
            reply = await terminal.Api.SyncNowAsync(new SyncNowRequest());
            if (reply.Succeeded)
            {
                return reply;
            }
            await Task.Delay(250);
        }
        throw new DemoException($"{terminal.Id} could not sync with the hub: {reply.MessageEn}");
    }

    private async Task ServeAsync(TextWriter output, CancellationToken cancellationToken)
    {
        output.WriteLine();
        output.WriteLine("Serving until Ctrl+C / Ctrl+C で終了するまで稼働中:");
        output.WriteLine($"  hub (admin and report APIs, mutual TLS) / ハブ: {Hub.Address}");
        output.WriteLine($"    CA {_folders.HubCaCertificate}; administrator {_folders.AdminCertificate} + {_folders.AdminKey} (passphrase in {_folders.PassphraseFile})");
        foreach (var terminal in _terminals)
        {
            output.WriteLine($"  {terminal.Id} {terminal.Name}: terminal API (gRPC, h2c) {terminal.Address}");
        }
        output.WriteLine("  e.g. / 例: cardap-provision municipality list " +
            $"--hub {Hub.Address} --hub-ca {_folders.HubCaCertificate} --admin-cert {_folders.AdminCertificate} --admin-key {_folders.AdminKey} --passphrase-file {_folders.PassphraseFile}");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("Stopping / 停止します");
        }
    }

    private string Clock() => JapanTime.ToJapan(_clock.GetUtcNow()).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    private DateTimeOffset At(int hour, int minute) => JapanTime.At(Day, new TimeOnly(hour, minute));

    private static DateOnly NextWorkingDay(DateOnly today)
    {
        var day = today.AddDays(1);
        while (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || JapaneseHolidays.IsHoliday(day))
        {
            day = day.AddDays(1);
        }
        return day;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var terminal in _terminals)
        {
            await terminal.DisposeAsync();
            await terminal.Link.DisposeAsync();
        }
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
