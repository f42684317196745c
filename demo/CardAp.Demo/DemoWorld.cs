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

/// <summary>
/// The provisioned system, before anything happens at the terminals: central IT has created the hub
/// CA and a hub shared by two municipalities, enrolled three terminals (each behind its own
/// <see cref="LgwanLink"/>), issued staff and residents' cards, and every terminal holds its master
/// data. Everything runs in this process on embedded defaults (ADR 0013).
/// </summary>
public sealed class DemoWorld : IAsyncDisposable
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

    private DemoWorld(string folder, TextWriter output)
    {
        _folders = new DemoFolders(folder);
        _say = new Narrator(output);
        Day = NextWorkingDay(JapanTime.DateOf(DateTimeOffset.UtcNow));
        _clock = new DemoClock(At(8, 0));
        _it = new CentralIt(_folders, _say);
    }

    /// <summary>The scripted day: the next working day in Japan, so every card and certificate issued today is valid on it.</summary>
    public DateOnly Day { get; }

    public DemoClock Clock => _clock;

    public Narrator Narrator => _say;

    public CentralIt CentralIt => _it;

    public DemoFolders Folders => _folders;

    public HubSite Hub => _hub ?? throw new InvalidOperationException("The hub has not started.");

    public IReadOnlyList<TerminalSite> Terminals => _terminals;

    /// <summary>A card issued while setting up, by its card number (e.g. C-A001, OP-A01).</summary>
    public ISmartCard Card(string number) => _cards[number];

    /// <summary>Provisions everything in an emptied <paramref name="folder"/>, narrating to <paramref name="output"/>.</summary>
    public static async Task<DemoWorld> StartAsync(string folder, TextWriter output, CancellationToken cancellationToken)
    {
        var world = new DemoWorld(folder, output);
        try
        {
            world._folders.Reset();
            world._say.Say($"Working folder / 作業フォルダ: {world._folders.Root}");
            world._say.Say($"Scripted day / シナリオの日: {world.Day:yyyy-MM-dd} ({world.Day.DayOfWeek})");
            await world.SetUpHubAsync(cancellationToken);
            await world.EnrolTerminalsAsync(cancellationToken);
            await world.IssueCardsAsync();
            await world.FirstSyncAsync();
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
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

    public TerminalSite Terminal(TerminalRole role) => _terminals.Single(t => t.Id == role.TerminalId);

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

    public async Task SignInAsync(TerminalRole role, StaffMember staff)
    {
        var terminal = Terminal(role);
        terminal.Insert(TerminalSite.OperatorReader, _cards[staff.Card]);
        var reply = await terminal.Api.SignInAsync(new SignInRequest { Reader = TerminalSite.OperatorReader, Pin = CentralIt.Pin });
        _sessions[terminal.Id] = reply.Session;
        _say.Say($"{terminal.Id}: {staff.Id} ({staff.Role}) signed in / サインイン");
    }

    /// <summary>A resident's card on the reader, one operation, the card taken back; a refusal is part of the story, not a failure.</summary>
    public async Task ServeAsync(TerminalRole role, string card, string service, string operation, string? pin, params (string Key, string Value)[] fields)
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
            _say.Say($"{Now()} {terminal.Id} {service} {operation} {card}: {reply.MessageEn} / {reply.MessageJa}");
        }
        catch (RpcException e) when (e.Trailers.GetValue("cardap-reason") is { } reason)
        {
            var japanese = e.Trailers.GetValueBytes("cardap-message-ja-bin") is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : string.Empty;
            _say.Say($"{Now()} {terminal.Id} {service} {operation} {card}: REFUSED ({reason}) {e.Status.Detail} / {japanese}");
        }
        finally
        {
            terminal.Remove(TerminalSite.ResidentReader);
        }
    }

    /// <summary>Syncs now, retrying briefly: a line just restored may refuse the first connection.</summary>
    public static async Task<SyncNowReply> SyncAsync(TerminalSite terminal)
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

    public string Now() => JapanTime.ToJapan(_clock.GetUtcNow()).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public DateTimeOffset At(int hour, int minute) => JapanTime.At(Day, new TimeOnly(hour, minute));

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
