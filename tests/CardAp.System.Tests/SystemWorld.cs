using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Edge.Api;
using CardAp.Hub.Api;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;
using CardAp.Sync;
using CardAp.Sync.Hub;
using CardAp.Sync.Tests;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Issuance;
using Grpc.Core;
using Grpc.Net.Client;

namespace CardAp.SystemTests;

/// <summary>A resident with a card the terminals read through pcscd + vpcd, and their member numbers by service.</summary>
internal sealed record Resident(string Municipality, string CardNumber, VirtualSmartCard Card, IReadOnlyDictionary<string, string> Members)
{
    public override string ToString() => $"{Municipality}/{CardNumber}";
}

/// <summary>
/// The whole system for one scenario, every part a real process on loopback:
/// <list type="bullet">
/// <item>cardap-hub on a PostgreSQL database of its own, shared by 千代田区 (131016) and 札幌市 (011002), both
/// put there by `cardap-provision municipality create`, with their master data;</item>
/// <item>three cardap-edge processes, each enrolled by `cardap-provision terminal enroll` and `cardap-edge
/// --enroll` with its own certificate, each reaching the hub only through its own <see cref="FaultProxy"/>:
/// a library and a shelter of 千代田区, and a branch counter of 札幌市 (library, points, seal);</item>
/// <item>the cards (operators' and residents') in vpcd's two readers through the real pcscd, which all
/// three terminals use: reader 0 holds the operator card of the terminal at work, reader 1 the resident's.</item>
/// </list>
/// The test works through the terminal API as a counter app would and keeps a <see cref="Ledger"/> of every
/// answer; <see cref="VerifyAsync"/> holds the hub's database and each terminal's own file to it.
/// </summary>
internal sealed class SystemWorld : IAsyncDisposable
{
    public const string Chiyoda = "131016";
    public const string Sapporo = "011002";
    public const string ResidentPin = "1234";
    public const string OperatorPin = "1111";
    public const string ShelterId = "gym-1";

    public static readonly string OperatorReader = PcscdFixture.ReaderName(0);
    public static readonly string ResidentReader = PcscdFixture.ReaderName(1);

    public static readonly TerminalPlan LibraryPlan = new(Chiyoda, "LIB1", "chuo-library", ["library"], "lib-01", "librarian");
    public static readonly TerminalPlan ShelterPlan = new(Chiyoda, "SHL1", "kanda-gym", ["shelter"], "shl-01", "shelter-staff");
    public static readonly TerminalPlan CounterPlan = new(Sapporo, "CTR1", "kita-branch", ["library", "points", "seal"], "ctr-01", "counter-clerk");

    private readonly CentralIt _centre;
    private readonly PostgresTestDatabase _database;
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cardap-system-");
    private readonly List<EdgeTerminal> _terminals = [];
    private readonly Dictionary<string, IssuingKey> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VirtualSmartCard> _operatorCards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Resident> _residents = new(StringComparer.Ordinal);
    private readonly List<string> _log = [];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly ReaderSlots _slots;
    private readonly int _hubPort = HubProcess.FreePort();
    private HubProcess? _hub;
    private GrpcChannel? _adminChannel;
    private ISmartCard? _operatorSlot;
    private ISmartCard? _residentSlot;
    private int _operatorRemovals;
    private int _requests;

    private SystemWorld(PcscdFixture pcscd, CentralIt centre, PostgresTestDatabase database, int seed)
    {
        _centre = centre;
        _database = database;
        _slots = new ReaderSlots(pcscd);
        Seed = seed;
        Hub = new HubRecords(database.ConnectionString);
    }

    public int Seed { get; }

    public Ledger Ledger { get; } = new();

    /// <summary>The hub's database, read directly.</summary>
    public HubRecords Hub { get; }

    public Uri HubAddress => new($"https://127.0.0.1:{_hubPort}");

    public Admin.AdminClient Admin => new(_adminChannel!);

    public Reports.ReportsClient Reports => new(_adminChannel!);

    public IReadOnlyList<EdgeTerminal> Terminals => _terminals;

    public EdgeTerminal Library => _terminals[0];

    public EdgeTerminal Shelter => _terminals[1];

    public EdgeTerminal Counter => _terminals[2];

    /// <summary>The keys folder `municipality create` wrote (issuing keys, encrypted with central IT's passphrase).</summary>
    public string Keys => Path.Combine(_root.FullName, "keys");

    public string Root => _root.FullName;

    public CentralIt Centre => _centre;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>
    /// Starts the hub, provisions both municipalities and enrols and starts the three terminals (each
    /// with <paramref name="edgeSettings"/>'s extra settings, if any), and waits until each holds its
    /// master data. Fails or skips, naming why, when pcscd or PostgreSQL is missing.
    /// </summary>
    public static async Task<SystemWorld> StartAsync(PcscdFixture pcscd, CentralIt centre, int seed,
        Func<TerminalPlan, IReadOnlyDictionary<string, string?>>? edgeSettings = null)
    {
        pcscd.RequirePcscd();
        var database = await PostgresTestDatabase.CreateAsync("cardap_system_", Cancel);
        var world = new SystemWorld(pcscd, centre, database, seed);
        try
        {
            await world.StartHubAsync();
            world.Note("hub started");
            // Each step waits only for what it needs, so the tool's, the edges' and the hub's work overlap:
            // a terminal is enrolled once its municipality exists and starts once enrolled.
            var municipalities = new Dictionary<string, Task>
            {
                [Chiyoda] = world.CreateMunicipalityAsync(Chiyoda, "千代田区"),
                [Sapporo] = world.CreateMunicipalityAsync(Sapporo, "札幌市"),
            };
            var terminals = new[] { LibraryPlan, ShelterPlan, CounterPlan }.Select(async (plan, i) =>
            {
                var settings = new Dictionary<string, string?>(EdgeSettings);
                foreach (var (key, value) in edgeSettings?.Invoke(plan) ?? new Dictionary<string, string?>())
                {
                    settings[key] = value;
                }
                await municipalities[plan.Municipality];
                var terminal = await EdgeTerminal.EnrolAsync(plan, world.Root, centre, world.HubAddress, seed + i, settings);
                try
                {
                    await terminal.StartAsync(operatorRemovals: 0);
                }
                catch
                {
                    await terminal.DisposeAsync();
                    throw;
                }
                return terminal;
            }).ToList();
            try
            {
                await Task.WhenAll(municipalities.Values);
                world.Note("municipalities created");
                await world.PutMasterDataAsync();
                await Task.WhenAll(terminals);
            }
            finally
            {
                // Also when one failed: the others must be disposed with the world.
                await Task.WhenAll(terminals.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
                world._terminals.AddRange(terminals.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }
            world.Note("terminals running");
            await world.WaitUntilSyncedAsync();
            world.Note("started");
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every terminal syncs by itself, often, and notices the hub gone or back within a second.</summary>
    private static readonly Dictionary<string, string?> EdgeSettings = new()
    {
        ["Edge:HubProbeInterval"] = "00:00:01",
        ["Edge:Sync:Interval"] = "00:00:02",
        ["Edge:Sync:BackoffBase"] = "00:00:01",
        ["Edge:Sync:BackoffMax"] = "00:00:02",
        ["Edge:Sync:CallTimeout"] = "00:00:10",
        ["Store:DailyBackup"] = "false",
    };

    private async Task StartHubAsync()
    {
        _hub = await HubProcess.StartAsync(HubSettings(), Root, _hubPort, _centre.ConnectAdmin);
        _adminChannel = _centre.ConnectAdmin(HubAddress);
    }

    private Dictionary<string, string?> HubSettings() => new()
    {
        ["Hub:CaCertificatePath"] = _centre.CaCertificatePath,
        ["Hub:ServerCertificatePath"] = _centre.ServerCertificatePath,
        ["Hub:ServerKeyPath"] = _centre.ServerKeyPath,
        ["Hub:Database:Engine"] = "PostgreSql",
        ["Hub:Database:ConnectionString"] = _database.ConnectionString,
        ["Logging:Directory"] = Path.Combine(Root, "hub-logs"),
        ["Serilog:MinimumLevel:Default"] = "Warning",
    };

    /// <summary>Power cut at the hub: SIGKILL, whatever it was doing.</summary>
    public async Task KillHubAsync()
    {
        await _hub!.KillAsync();
        await _hub.DisposeAsync();
        _hub = null;
        Note("hub killed");
    }

    /// <summary>Starts the hub again where the terminals expect it, on the same database.</summary>
    public async Task RestartHubAsync()
    {
        Assert.Null(_hub);
        _hub = await HubProcess.StartAsync(HubSettings(), Root, _hubPort, _centre.ConnectAdmin);
        Note("hub restarted");
    }

    /// <summary>A municipality on the hub with its issuing key, by the tool.</summary>
    private Task CreateMunicipalityAsync(string code, string name) =>
        _centre.RequireAsync(["municipality", "create", "--municipality", code, "--name", name, "--keys", Keys, .. _centre.HubOptions(HubAddress)]);

    /// <summary>Central IT's master data (admin API) and the cards of residents and operators.</summary>
    private async Task PutMasterDataAsync()
    {
        foreach (var code in new[] { Chiyoda, Sapporo })
        {
            _keys[code] = IssuingKeys.Open(new DirectoryInfo(Keys), MunicipalityCode.Parse(code), CentralIt.Passphrase);
        }

        // Rows of every scope: common ones (closures for all), per service (tuning, shelters, seal
        // registrations, a closure of one service) and administration rows no terminal receives.
        await PutAsync(Chiyoda, "service", "library", new JsonObject { ["id"] = "library", ["settings"] = new JsonObject { ["loanLimit"] = "20" } });
        await PutAsync(Chiyoda, "shelter", ShelterId, new JsonObject { ["capacity"] = 40, ["nameJa"] = "神田体育館", ["nameEn"] = "Kanda gym" });
        await PutAsync(Chiyoda, "closure", "2030-01-02", new JsonObject { ["date"] = "2030-01-02", ["reasonEn"] = "New Year holidays", ["reasonJa"] = "年始休業" });
        await PutAsync(Chiyoda, "closure", "2030-02-01", new JsonObject { ["date"] = "2030-02-01", ["service"] = "shelter", ["reasonEn"] = "Drill", ["reasonJa"] = "訓練" });
        await PutAsync(Sapporo, "service", "library", new JsonObject { ["id"] = "library", ["settings"] = new JsonObject { ["loanLimit"] = "20" } });
        await PutAsync(Sapporo, "closure", "2030-01-03", new JsonObject { ["date"] = "2030-01-03", ["service"] = "library", ["reasonEn"] = "Stocktaking", ["reasonJa"] = "蔵書点検" });

        var issued = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-30);
        foreach (var (code, number, services) in new (string, string, (string, string)[])[]
        {
            (Chiyoda, "C-1001", [("library", "LC-1001")]),
            (Chiyoda, "C-1002", [("library", "LC-1002")]),
            (Chiyoda, "C-1003", [("library", "LC-1003")]),
            (Sapporo, "S-2001", [("library", "LS-2001"), ("points", "PS-2001"), ("seal", "SS-2001")]),
        })
        {
            var header = new CardHeader(MunicipalityCode.Parse(code), CardNumber.Parse(number), issued, issued.AddYears(5));
            var card = VirtualCards.Issue(_keys[code], header, ResidentPin,
                services.Select(s => new ServiceRegistration(ServiceId.Parse(s.Item1), MemberNumber.Parse(s.Item2), ServiceStatus.Active, issued)));
            _residents[number] = new Resident(code, number, card, services.ToDictionary(s => s.Item1, s => s.Item2, StringComparer.Ordinal));
            foreach (var (service, member) in services)
            {
                await PutAsync(code, "registration", $"{number}/{service}", new JsonObject
                {
                    ["cardNumber"] = number, ["service"] = service, ["member"] = member, ["status"] = "active",
                    ["registeredOn"] = issued.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["name"] = $"住民 {number}",
                });
                if (service == "seal")
                {
                    await PutAsync(code, "sealRegistration", member, new JsonObject { ["status"] = "registered", ["registeredOn"] = "2020-04-01" });
                }
            }
        }
        foreach (var plan in new[] { LibraryPlan, ShelterPlan, CounterPlan })
        {
            var header = new CardHeader(MunicipalityCode.Parse(plan.Municipality), CardNumber.Parse("OP-" + plan.OperatorId), issued, issued.AddYears(5),
                CardKind.Operator, new OperatorRecord(OperatorId.Parse(plan.OperatorId), OperatorRole.Parse(plan.OperatorRole)));
            _operatorCards[plan.TerminalId] = VirtualCards.Issue(_keys[plan.Municipality], header, OperatorPin);
        }
    }

    public Resident Resident(string cardNumber) => _residents[cardNumber];

    public IssuingKey IssuingKey(string municipality) => _keys[municipality];

    /// <summary>Adds a resident whose card the test made (e.g. issued by the tool).</summary>
    public void AddResident(Resident resident) => _residents[resident.CardNumber] = resident;

    public Task<MasterWriteReply> PutAsync(string municipality, string kind, string key, JsonObject payload) =>
        Admin.PutMasterAsync(new PutMasterRequest { Municipality = municipality, Kind = kind, Key = key, PayloadJson = payload.ToJsonString() }, cancellationToken: Cancel).ResponseAsync;

    /// <summary>A line for the failure message: what happened, in order.</summary>
    public void Note(string what)
    {
        lock (_log)
        {
            _log.Add($"{_clock.Elapsed.TotalSeconds:0.0}s {what}");
        }
    }

    public string Context
    {
        get
        {
            lock (_log)
            {
                return $"seed {Seed}; {string.Join("; ", _log)}";
            }
        }
    }

    /// <summary>
    /// Runs one operation at <paramref name="terminal"/> for <paramref name="resident"/>, signed in as the
    /// terminal's operator, and writes the acknowledged transaction into the ledger.
    /// </summary>
    public async Task<OperationReply> DoAsync(EdgeTerminal terminal, Resident resident, string service, string operation, params (string Key, string Value)[] fields)
    {
        var request = await PrepareAsync(terminal, resident, service, operation, fields);
        var reply = await terminal.Client.ExecuteAsync(request, cancellationToken: Cancel);
        return Acknowledged(terminal, resident, request, reply);
    }

    /// <summary>Writes a transaction the terminal acknowledged into the ledger, after checking the reply is for this resident.</summary>
    public OperationReply Acknowledged(EdgeTerminal terminal, Resident resident, OperationRequest request, OperationReply reply)
    {
        Assert.True(resident.CardNumber == reply.CardRef, $"{terminal} answered {request.RequestId} for card {reply.CardRef}, not {resident}: {Context}");
        var member = resident.Members.GetValueOrDefault(request.Service);
        // Shelter reception needs no registration: residents are told apart by card.
        if (request.Service != "shelter")
        {
            Assert.True(member == reply.Member, $"{terminal} answered {request.RequestId} with member {reply.Member}, not {member}: {Context}");
        }
        Ledger.Done(new ExpectedTransaction(terminal.TerminalId, request.RequestId, request.Service, request.Operation, reply.CardRef,
            string.IsNullOrEmpty(reply.Member) ? null : reply.Member, terminal.CutOff));
        return reply;
    }

    /// <summary>Runs one operation the terminal must refuse with <paramref name="reason"/>, and writes the refusal into the ledger.</summary>
    public async Task<RpcException> RefusedAsync(EdgeTerminal terminal, Resident resident, string reason, string service, string operation, params (string Key, string Value)[] fields)
    {
        var request = await PrepareAsync(terminal, resident, service, operation, fields);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => terminal.Client.ExecuteAsync(request, cancellationToken: Cancel).ResponseAsync);
        Assert.True(reason == refusal.Trailers.GetValue("cardap-reason"),
            $"{terminal} refused {service}.{operation} of {resident} with {refusal.Trailers.GetValue("cardap-reason")} ({refusal.Status.Detail}), not {reason}: {Context}");
        Ledger.Refused(new ExpectedRefusal(terminal.TerminalId, service, operation, reason, terminal.CutOff));
        return refusal;
    }

    /// <summary>The request for an operation, with the terminal's operator signed in and the resident's card in its reader.</summary>
    public async Task<OperationRequest> PrepareAsync(EdgeTerminal terminal, Resident resident, string service, string operation, params (string Key, string Value)[] fields)
    {
        var session = await SignedInAsync(terminal);
        await InsertResidentAsync(resident);
        var request = new OperationRequest
        {
            RequestId = $"{terminal.Plan.Id}-{Interlocked.Increment(ref _requests):D4}",
            Session = session,
            Service = service,
            Operation = operation,
            Reader = ResidentReader,
            Pin = ResidentPin,
        };
        foreach (var (key, value) in fields)
        {
            request.Fields[key] = value;
        }
        return request;
    }

    /// <summary>Puts the resident's card in the resident reader, unless it is there already.</summary>
    public async Task InsertResidentAsync(Resident resident)
    {
        if (!ReferenceEquals(_residentSlot, resident.Card))
        {
            await _slots.InsertAsync(resident.Card, 1);
            _residentSlot = resident.Card;
        }
    }

    /// <summary>Puts any card (e.g. a blank one for the tool to issue) in the resident reader.</summary>
    public async Task InsertInResidentReaderAsync(ISmartCard card)
    {
        await _slots.InsertAsync(card, 1);
        _residentSlot = card;
    }

    /// <summary>
    /// The terminal's operator session: their card in the operator reader and signed in. Changing the card
    /// there ends every terminal's session on that reader, as taking an operator card out does.
    /// </summary>
    public async Task<string> SignedInAsync(EdgeTerminal terminal)
    {
        var card = _operatorCards[terminal.TerminalId];
        if (!ReferenceEquals(_operatorSlot, card))
        {
            if (_operatorSlot is not null)
            {
                _operatorRemovals++;
            }
            await _slots.InsertAsync(card, 0);
            _operatorSlot = card;
            foreach (var other in _terminals)
            {
                other.Session = null;
            }
        }
        if (terminal.Session is { } session)
        {
            return session;
        }
        // A removal the terminal has not seen yet would end the session it is about to open.
        await terminal.WaitUntilSeenAsync(OperatorReader, _operatorRemovals);
        var reply = await terminal.Client.SignInAsync(new SignInRequest { Reader = OperatorReader, Pin = OperatorPin }, cancellationToken: Cancel);
        Assert.Equal(terminal.Plan.OperatorId, reply.OperatorId);
        terminal.Session = reply.Session;
        return reply.Session;
    }

    /// <summary>
    /// Starts a terminal again on its data folder (after a kill or a stop) and, unless it is cut off, waits
    /// until it sees the hub: a terminal starts offline, and what it records before its first contact says so.
    /// </summary>
    public async Task RestartAsync(EdgeTerminal terminal)
    {
        await terminal.StartAsync(_operatorRemovals);
        Note($"{terminal} restarted");
        if (terminal.Proxy.Mode.Kind == FaultKind.Pass && _hub is not null)
        {
            await terminal.WaitUntilReconnectedAsync();
        }
    }

    /// <summary>
    /// Waits until each terminal (every running one by default) has caught up both ways by itself: nothing
    /// left to push, its master data at the hub's last change of its municipality, nothing awaiting the hub.
    /// </summary>
    public async Task WaitUntilSyncedAsync(params EdgeTerminal[] terminals)
    {
        foreach (var terminal in terminals.Length > 0 ? terminals : _terminals.Where(t => t.Running).ToArray())
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                var hubSeq = await Hub.LastSeqAsync(terminal.Plan.Municipality);
                var status = await terminal.StatusAsync();
                if (status.Online && status.Sync.Backlog == 0 && status.Sync.AwaitingHub == 0 && status.Sync.MasterCheckpoint == hubSeq)
                {
                    break;
                }
                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail($"{terminal} did not catch up within 90 s: online {status.Online}, backlog {status.Sync.Backlog}, awaiting hub {status.Sync.AwaitingHub}, "
                        + $"checkpoint {status.Sync.MasterCheckpoint} of {hubSeq}, last error {status.Sync.LastError?.Reason} {status.Sync.LastError?.MessageEn}: {Context}");
                }
                await Task.Delay(100, Cancel);
            }
        }
    }

    /// <summary>
    /// The end of the day, and the point of every scenario: once the terminals have caught up and stopped,
    /// the hub holds exactly what they acknowledged and refused, each record once, and each terminal holds
    /// exactly the hub's master data for its scope.
    /// </summary>
    public async Task VerifyAsync()
    {
        await WaitUntilSyncedAsync();
        Note("all caught up");
        foreach (var terminal in _terminals)
        {
            await terminal.StopAsync();
        }
        Note("terminals stopped");
        Assert.True((await Hub.QuarantineAsync()).Count == 0, $"the hub quarantined records: {string.Join("; ", await Hub.QuarantineAsync())}: {Context}");
        foreach (var terminal in _terminals)
        {
            await VerifyRecordsAsync(terminal);
            await VerifyMasterDataAsync(terminal);
        }
        await VerifyReportAsync();
        Note("verified");
    }

    private async Task VerifyRecordsAsync(EdgeTerminal terminal)
    {
        var id = terminal.TerminalId;
        var expected = Ledger.Transactions(id);
        var atHub = await Hub.TransactionsAsync(id);
        var edge = new EdgeRecords(terminal.DatabasePath);
        Assert.True(edge.IntegrityCheck() == "ok", $"{id}'s store: {edge.IntegrityCheck()}");

        // Exactly once: no request twice, and the terminal's stream whole, 1..N.
        var doubled = atHub.GroupBy(t => t.RequestId).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
        Assert.True(doubled.Count == 0, $"{id}: the hub holds requests more than once: {string.Join(", ", doubled)}: {Context}");
        Assert.True(atHub.Select(t => t.Seq).SequenceEqual(Enumerable.Range(1, atHub.Count).Select(i => (long)i)),
            $"{id}: the hub's transactions are not 1..{atHub.Count}: {string.Join(",", atHub.Select(t => t.Seq))}: {Context}");

        // Per kind, then row by row, against what the terminal acknowledged to the test.
        AssertSameCounts($"{id} transactions",
            expected.GroupBy(t => $"{t.Service}.{t.Operation}{(t.Offline ? " offline" : "")}").ToDictionary(g => g.Key, g => g.Count()),
            atHub.GroupBy(t => $"{t.Service}.{t.Operation}{(t.Offline ? " offline" : "")}").ToDictionary(g => g.Key, g => g.Count()));
        var expectedRows = expected.Select(t => (t.RequestId, t.Service, t.Operation, (string?)t.CardRef, t.Member, t.Offline)).Order().ToList();
        var hubRows = atHub.Select(t => (t.RequestId, t.Service, t.Operation, t.CardRef, t.Member, t.Offline)).Order().ToList();
        Assert.True(expectedRows.SequenceEqual(hubRows),
            $"{id}: the hub's transactions differ from what the terminal acknowledged; missing {string.Join(", ", expectedRows.Except(hubRows))}; unexpected {string.Join(", ", hubRows.Except(expectedRows))}: {Context}");
        Assert.All(atHub, t => Assert.False(t.Training));

        // The terminal's own file says the same, and nothing is left to send.
        Assert.True(edge.Transactions().SequenceEqual(atHub), $"{id}: its own transactions differ from the hub's: {Context}");
        Assert.True(edge.Audit().SequenceEqual(await Hub.AuditAsync(id)), $"{id}: its audit log differs from the hub's copy ({edge.Audit().Count} / {(await Hub.AuditAsync(id)).Count} entries): {Context}");
        Assert.Equal(edge.TelemetryCount(), await Hub.TelemetryCountAsync(id));
        Assert.True(edge.OutboxCount() == 0, $"{id} still has {edge.OutboxCount()} records to send: {Context}");
        Assert.Equal(edge.Decisions(), await Hub.DecisionsAsync(id));
        var positions = await Hub.StreamPositionsAsync(id);
        Assert.Equal(atHub.Count, positions.GetValueOrDefault("transactions"));
        Assert.Equal(edge.Audit().Count, positions.GetValueOrDefault("audit"));

        // What the reports count: one done record per transaction, one refused record per refusal.
        var usage = await Hub.UsageAsync(id);
        AssertSameCounts($"{id} done", expected.GroupBy(t => $"{t.Service}.{t.Operation}{(t.Offline ? " offline" : "")}").ToDictionary(g => g.Key, g => g.Count()),
            usage.Where(u => u.Outcome == "ok").GroupBy(u => $"{u.Service}.{u.Operation}{(u.Offline ? " offline" : "")}").ToDictionary(g => g.Key, g => g.Count()));
        AssertSameCounts($"{id} refused", Ledger.Refusals(id).GroupBy(r => $"{r.Service}.{r.Operation} {r.Reason}{(r.Offline ? " offline" : "")}").ToDictionary(g => g.Key, g => g.Count()),
            usage.Where(u => u.Outcome == "refused").GroupBy(u => $"{u.Service}.{u.Operation} {u.Reason}{(u.Offline ? " offline" : "")}").ToDictionary(g => g.Key, g => g.Count()));
    }

    private async Task VerifyMasterDataAsync(EdgeTerminal terminal)
    {
        var services = new HashSet<string>(terminal.Plan.Services, StringComparer.Ordinal);
        var expected = new List<MasterRowView>();
        foreach (var kind in ScopeKinds.Candidates)
        {
            var rows = await Admin.ListMasterAsync(new ListMasterRequest { Municipality = terminal.Plan.Municipality, Kind = kind }, cancellationToken: Cancel);
            expected.AddRange(rows.Rows.Where(r => SyncScope.Includes(services, r.Kind, r.Key, r.PayloadJson))
                .Select(r => new MasterRowView(r.Kind, r.Key, r.ChangeSeq, r.PayloadJson)));
        }
        // Not a comparison of two empty sets: each terminal needs its municipality's key and its services' rows.
        Assert.Contains(expected, r => r.Kind == "issuerKey");
        foreach (var service in services.Where(s => s is "library" or "shelter" or "seal"))
        {
            Assert.True(expected.Any(r => ServiceOf(r) == service), $"{terminal}: the hub has no {service} rows to compare");
        }
        var held = new EdgeRecords(terminal.DatabasePath).Master();
        var missing = expected.Where(e => !held.Any(h => h.SameAs(e))).ToList();
        var unexpected = held.Where(h => !expected.Any(e => e.SameAs(h))).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            $"{terminal}'s master data is not the hub's for its scope ({held.Count} rows held, {expected.Count} expected): missing {string.Join(", ", missing)}; unexpected {string.Join(", ", unexpected)}: {Context}");
    }

    private static string? ServiceOf(MasterRowView row) => row.Kind switch
    {
        "service" => row.Key,
        "shelter" => "shelter",
        "sealRegistration" => "seal",
        _ => (string?)JsonNode.Parse(row.Payload)?["service"],
    };

    /// <summary>The usage report (what the municipality sees) agrees per terminal: done, offline and refused.</summary>
    private async Task VerifyReportAsync()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(9));
        foreach (var municipality in new[] { Chiyoda, Sapporo })
        {
            var usage = await Reports.GetUsageAsync(new UsageRequest
            {
                Municipalities = { municipality },
                From = today.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                To = today.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            }, cancellationToken: Cancel);
            var table = usage.Tables.Single(t => t.Name == "terminal");
            foreach (var terminal in _terminals.Where(t => t.Plan.Municipality == municipality))
            {
                var figures = table.Rows.SingleOrDefault(r => r.Keys.Contains(terminal.TerminalId))?.Figures ?? new Figures();
                var done = Ledger.Transactions(terminal.TerminalId);
                var refused = Ledger.Refusals(terminal.TerminalId);
                Assert.True((done.Count, done.Count(t => t.Offline), refused.Count) == (figures.Done, figures.Offline, figures.Refused),
                    $"{terminal} in the usage report: done {figures.Done}, offline {figures.Offline}, refused {figures.Refused}; "
                    + $"the terminals answered done {done.Count}, offline {done.Count(t => t.Offline)}, refused {refused.Count}: {Context}");
            }
        }
    }

    private void AssertSameCounts(string what, Dictionary<string, int> expected, Dictionary<string, int> actual)
    {
        var keys = expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal).ToList();
        var wrong = keys.Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Select(k => $"{k}: hub {actual.GetValueOrDefault(k)}, expected {expected.GetValueOrDefault(k)}").ToList();
        Assert.True(wrong.Count == 0, $"{what}: {string.Join("; ", wrong)}: {Context}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var terminal in _terminals)
        {
            await terminal.DisposeAsync();
        }
        await _slots.DisposeAsync();
        _adminChannel?.Dispose();
        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }
        await _database.DisposeAsync();
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestContext.Current.TestOutputHelper?.WriteLine(Context);
        _root.Delete(recursive: true);
    }
}
