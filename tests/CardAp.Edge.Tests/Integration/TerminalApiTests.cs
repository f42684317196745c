using System.Text;
using CardAp.Edge.Api;
using CardAp.Edge.Errors;
using CardAp.Edge.Store;
using CardAp.VirtualCard;
using CardAp.VirtualCard.Vpcd;
using CardAp.Testing;
using Grpc.Core;

namespace CardAp.Edge.Tests.Integration;

/// <summary>
/// The terminal API end to end: gRPC on loopback into the real edge host, which reads virtual
/// cards through real pcscd + vpcd (operator card in slot 0, resident card in slot 1) and records
/// into a real SQLite file.
/// </summary>
[Collection(PcscdFixture.CollectionName)]
public sealed class TerminalApiTests(PcscdFixture pcscd) : IAsyncLifetime
{
    private readonly EdgeWorld _world = new();
    private readonly ManualClock _clock = new(EdgeWorld.WorkingDay);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("cardap-edge-");
    private readonly List<VpcdBridge> _bridges = [];
    private EdgeHost _edge = null!;
    private int _requests;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        pcscd.RequirePcscd();
        _edge = await EdgeHost.StartAsync(_directory.FullName, _clock);
        _edge.Get<MasterData>().Apply(_world.MasterData());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bridge in _bridges)
        {
            await bridge.DisposeAsync();
        }
        if (_edge is not null)
        {
            await _edge.DisposeAsync();
        }
        _world.Dispose();
        _directory.Delete(recursive: true);
    }

    private async Task InsertAsync(ISmartCard card, int slot)
    {
        await RemoveAsync(slot);
        _bridges.Add(await pcscd.InsertCardAsync(card, slot, Cancel));
    }

    private async Task RemoveAsync(int slot)
    {
        foreach (var bridge in _bridges.Where(b => b.Port == 35963 + slot).ToList())
        {
            await pcscd.RemoveCardAsync(bridge, slot, Cancel);
            await bridge.DisposeAsync();
            _bridges.Remove(bridge);
        }
    }

    private async Task<string> SignInAsync(string id, string role, string pin = "1111")
    {
        await InsertAsync(_world.Operator(id, role, pin), 0);
        return (await _edge.Client.SignInAsync(new SignInRequest { Reader = EdgeWorld.OperatorReader, Pin = pin }, cancellationToken: Cancel)).Session;
    }

    private OperationRequest Operation(string session, string service, string operation, params (string Key, string Value)[] fields)
    {
        var request = new OperationRequest
        {
            RequestId = $"req-{Interlocked.Increment(ref _requests)}",
            Session = session,
            Service = service,
            Operation = operation,
            Reader = EdgeWorld.ResidentReader,
        };
        foreach (var (key, value) in fields)
        {
            request.Fields[key] = value;
        }
        return request;
    }

    private async Task<OperationReply> ExecuteAsync(OperationRequest request) => await _edge.Client.ExecuteAsync(request, cancellationToken: Cancel);

    private async Task<RpcException> RefusedAsync(OperationRequest request, StatusCode code, string reason)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => ExecuteAsync(request));
        AssertRefusal(e, code, reason);
        return e;
    }

    private static void AssertRefusal(RpcException e, StatusCode code, string reason)
    {
        Assert.True(code == e.StatusCode && reason == e.Trailers.GetValue(RefusalInterceptor.ReasonTrailer),
            $"expected {code} {reason}, got {e.StatusCode} {e.Trailers.GetValue(RefusalInterceptor.ReasonTrailer)}: {e.Status.Detail}");
        var ja = Encoding.UTF8.GetString(e.Trailers.GetValueBytes(RefusalInterceptor.MessageJaTrailer)!);
        Assert.False(string.IsNullOrWhiteSpace(ja));
        Assert.False(string.IsNullOrWhiteSpace(e.Status.Detail));
    }

    [Fact]
    public async Task Operator_sign_in_good_pin_wrong_pin_blocked_and_revoked()
    {
        var card = _world.Operator("staff-1", "counter-clerk", "1111");
        await InsertAsync(card, 0);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => _edge.Client.SignInAsync(new SignInRequest { Reader = EdgeWorld.OperatorReader, Pin = "0000" }, cancellationToken: Cancel).ResponseAsync);
        AssertRefusal(wrong, StatusCode.Unauthenticated, "PinWrong");
        Assert.Contains("2 tries left", wrong.Status.Detail, StringComparison.Ordinal);

        var good = await _edge.Client.SignInAsync(new SignInRequest { Reader = EdgeWorld.OperatorReader, Pin = "1111" }, cancellationToken: Cancel);
        Assert.Equal("staff-1", good.OperatorId);
        Assert.Equal("counter-clerk", good.Role);
        Assert.False(string.IsNullOrEmpty(good.Session));

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<RpcException>(() => _edge.Client.SignInAsync(new SignInRequest { Reader = EdgeWorld.OperatorReader, Pin = "0000" }, cancellationToken: Cancel).ResponseAsync);
        }
        // The good PIN restored 3 tries; the third wrong one since blocked it: even the right PIN is refused now.
        var blocked = await Assert.ThrowsAsync<RpcException>(() => _edge.Client.SignInAsync(new SignInRequest { Reader = EdgeWorld.OperatorReader, Pin = "1111" }, cancellationToken: Cancel).ResponseAsync);
        AssertRefusal(blocked, StatusCode.Unauthenticated, "PinBlocked");

        await InsertAsync(_world.Operator("staff-9", "counter-clerk", "1111"), 0);
        var revoked = await Assert.ThrowsAsync<RpcException>(() => _edge.Client.SignInAsync(new SignInRequest { Reader = EdgeWorld.OperatorReader, Pin = "1111" }, cancellationToken: Cancel).ResponseAsync);
        AssertRefusal(revoked, StatusCode.PermissionDenied, "OperatorRevoked");

        await InsertAsync(_world.Resident("C-0001"), 0);
        var resident = await Assert.ThrowsAsync<RpcException>(() => _edge.Client.SignInAsync(new SignInRequest { Reader = EdgeWorld.OperatorReader, Pin = EdgeWorld.ResidentPin }, cancellationToken: Cancel).ResponseAsync);
        AssertRefusal(resident, StatusCode.FailedPrecondition, "NotAnOperatorCard");
    }

    [Fact]
    public async Task Session_ends_when_the_operator_card_is_removed()
    {
        var session = await SignInAsync("staff-1", "librarian");
        await InsertAsync(_world.Resident("C-0001"), 1);
        await ExecuteAsync(Operation(session, "library", "checkout", ("item", "B-1")));

        await RemoveAsync(0);
        await WaitUntilAsync(() => _edge.Get<Operators.OperatorSessions>().Count == 0);
        await RefusedAsync(Operation(session, "library", "checkout", ("item", "B-2")), StatusCode.Unauthenticated, "NotSignedIn");
    }

    [Fact]
    public async Task Library_checkout_renew_return_and_each_refusal()
    {
        var librarian = await SignInAsync("staff-2", "librarian");
        await InsertAsync(_world.Resident("C-0001"), 1);

        var checkout = await ExecuteAsync(Operation(librarian, "library", "checkout", ("item", "B-1")));
        Assert.Equal("LC-0001", checkout.Member);
        Assert.Equal("2026-12-09", checkout.Result["dueOn"]);
        await RefusedAsync(Operation(librarian, "library", "checkout", ("item", "B-1")), StatusCode.FailedPrecondition, "AlreadyOnLoan");
        await ExecuteAsync(Operation(librarian, "library", "checkout", ("item", "B-2")));
        // Tuning set the loan limit to 2.
        await RefusedAsync(Operation(librarian, "library", "checkout", ("item", "B-3")), StatusCode.FailedPrecondition, "LoanLimitReached");

        var renewed = await ExecuteAsync(Operation(librarian, "library", "renew", ("item", "B-1")));
        // A renewal runs a new loan period from the day of renewal.
        Assert.Equal("2026-12-09", renewed.Result["dueOn"]);
        await RefusedAsync(Operation(librarian, "library", "renew", ("item", "B-1")), StatusCode.FailedPrecondition, "RenewalLimitReached");
        await ExecuteAsync(Operation(librarian, "library", "return", ("item", "B-1")));
        await RefusedAsync(Operation(librarian, "library", "return", ("item", "B-1")), StatusCode.FailedPrecondition, "NotOnLoan");

        // Role: shelter staff may not lend books.
        var shelterStaff = await SignInAsync("staff-3", "shelter-staff");
        await RefusedAsync(Operation(shelterStaff, "library", "checkout", ("item", "B-9")), StatusCode.PermissionDenied, "RoleNotPermitted");

        // Not registered, and a suspended card.
        librarian = await SignInAsync("staff-2", "librarian");
        await InsertAsync(_world.Resident("C-0002", withServices: false), 1);
        await RefusedAsync(Operation(librarian, "library", "checkout", ("item", "B-9")), StatusCode.FailedPrecondition, "NotRegistered");
        await InsertAsync(_world.Resident("C-SUSP"), 1);
        await RefusedAsync(Operation(librarian, "library", "checkout", ("item", "B-9")), StatusCode.FailedPrecondition, "Suspended");
    }

    [Fact]
    public async Task Library_hours_holidays_and_closures_are_enforced_with_the_next_opening()
    {
        await InsertAsync(_world.Resident("C-0001"), 1);

        // Each jump of the clock outlasts the session idle timeout, so the librarian signs in again.
        _clock.Now = new DateTimeOffset(2026, 11, 25, 18, 0, 0, TimeSpan.FromHours(9));
        var librarian = await SignInAsync("staff-2", "librarian");
        var evening = await RefusedAsync(Operation(librarian, "library", "checkout", ("item", "B-1")), StatusCode.FailedPrecondition, "OutsideHours");
        Assert.Contains("2026-11-26", evening.Status.Detail, StringComparison.Ordinal);

        // 2026-11-23 is 勤労感謝の日 (Labour Thanksgiving Day), a Monday.
        _clock.Now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.FromHours(9));
        librarian = await SignInAsync("staff-2", "librarian");
        var holiday = await RefusedAsync(Operation(librarian, "library", "checkout", ("item", "B-1")), StatusCode.FailedPrecondition, "Holiday");
        Assert.Contains("勤労感謝の日", Encoding.UTF8.GetString(holiday.Trailers.GetValueBytes(RefusalInterceptor.MessageJaTrailer)!), StringComparison.Ordinal);

        _clock.Now = new DateTimeOffset(2026, 12, 29, 10, 0, 0, TimeSpan.FromHours(9));
        librarian = await SignInAsync("staff-2", "librarian");
        await RefusedAsync(Operation(librarian, "library", "checkout", ("item", "B-1")), StatusCode.FailedPrecondition, "LocalClosure");

        // Shelter reception has no hours row: open on holidays and at night.
        _clock.Now = new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.FromHours(9));
        var staff = await SignInAsync("staff-3", "shelter-staff");
        await ExecuteAsync(Operation(staff, "shelter", "checkin", ("shelter", "gym-1")));
    }

    [Fact]
    public async Task Shelter_checkin_with_household_capacity_and_checkout()
    {
        var staff = await SignInAsync("staff-3", "shelter-staff");
        await InsertAsync(_world.Resident("C-0001"), 1);
        var checkin = await ExecuteAsync(Operation(staff, "shelter", "checkin", ("shelter", "gym-1"), ("household", "2")));
        Assert.Equal("3", checkin.Result["occupancy"]);
        await RefusedAsync(Operation(staff, "shelter", "checkin", ("shelter", "gym-1")), StatusCode.FailedPrecondition, "AlreadyCheckedIn");

        await InsertAsync(_world.Resident("C-0003", withServices: false), 1);
        await RefusedAsync(Operation(staff, "shelter", "checkin", ("shelter", "gym-1"), ("household", "1")), StatusCode.FailedPrecondition, "ShelterFull");
        await RefusedAsync(Operation(staff, "shelter", "checkin", ("shelter", "gym-9")), StatusCode.FailedPrecondition, "UnknownShelter");
        await RefusedAsync(Operation(staff, "shelter", "checkout", ("shelter", "gym-1")), StatusCode.FailedPrecondition, "NotCheckedIn");
        await ExecuteAsync(Operation(staff, "shelter", "checkin", ("shelter", "gym-1")));

        await InsertAsync(_world.Resident("C-0001"), 1);
        var checkout = await ExecuteAsync(Operation(staff, "shelter", "checkout", ("shelter", "gym-1")));
        Assert.Equal("1", checkout.Result["occupancy"]);
    }

    [Fact]
    public async Task Points_accrue_redeem_and_the_offline_redemption_limit()
    {
        var clerk = await SignInAsync("staff-1", "counter-clerk");
        await InsertAsync(_world.Resident("C-0001"), 1);
        var accrued = await ExecuteAsync(Operation(clerk, "points", "accrue", ("points", "300"), ("reason", "volunteer")));
        Assert.Equal("300", accrued.Result["balance"]);
        var noPin = Operation(clerk, "points", "redeem", ("points", "10"));
        var e = await Assert.ThrowsAsync<RpcException>(() => ExecuteAsync(noPin));
        Assert.Equal("pin", e.Trailers.GetValue(RefusalInterceptor.FieldTrailer));
        await RefusedAsync(Redeem(clerk, 400), StatusCode.FailedPrecondition, "InsufficientPoints");
        await ExecuteAsync(Redeem(clerk, 80));
        // Offline (no hub here): redemption is limited to 100 per card per day by tuning.
        await RefusedAsync(Redeem(clerk, 30), StatusCode.FailedPrecondition, "OfflineLimitReached");
        var small = await ExecuteAsync(Redeem(clerk, 20));
        Assert.Equal("200", small.Result["balance"]);
    }

    private OperationRequest Redeem(string session, int points)
    {
        var request = Operation(session, "points", "redeem", ("points", points.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        request.Pin = EdgeWorld.ResidentPin;
        return request;
    }

    [Fact]
    public async Task Kiosk_needs_the_pin_and_only_where_the_service_allows_it()
    {
        await InsertAsync(_world.Resident("C-0001"), 1);
        var noPin = Operation(string.Empty, "checkup", "checkin", ("venue", "hall"));
        var e = await Assert.ThrowsAsync<RpcException>(() => ExecuteAsync(noPin));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("pin", e.Trailers.GetValue(RefusalInterceptor.FieldTrailer));

        var wrongPin = Operation(string.Empty, "checkup", "checkin", ("venue", "hall"));
        wrongPin.Pin = "9999";
        await RefusedAsync(wrongPin, StatusCode.Unauthenticated, "PinWrong");

        var kiosk = Operation(string.Empty, "checkup", "checkin", ("venue", "hall"));
        kiosk.Pin = EdgeWorld.ResidentPin;
        var reply = await ExecuteAsync(kiosk);
        Assert.Equal("C-0001", reply.CardRef);
        var again = Operation(string.Empty, "checkup", "checkin", ("venue", "hall"));
        again.Pin = EdgeWorld.ResidentPin;
        await RefusedAsync(again, StatusCode.FailedPrecondition, "AlreadyCheckedInToday");

        var counterOnly = Operation(string.Empty, "points", "accrue", ("points", "10"), ("reason", "x"));
        counterOnly.Pin = EdgeWorld.ResidentPin;
        await RefusedAsync(counterOnly, StatusCode.PermissionDenied, "KioskNotAllowed");
    }

    [Fact]
    public async Task Online_only_operations_are_refused_offline_and_not_settled_by_a_hub_that_does_not_decide()
    {
        var clerk = await SignInAsync("staff-1", "counter-clerk");
        await InsertAsync(_world.Resident("C-0001"), 1);
        var request = Operation(clerk, "seal", "request-certificate", ("copies", "1"));
        request.Pin = EdgeWorld.ResidentPin;
        await RefusedAsync(request, StatusCode.Unavailable, "OnlineOnly");
        Assert.Empty(_edge.Get<LocalRecords>().Transactions("seal"));

        // A hub that answers health probes but not sync: online, yet no decision can come.
        await using var hub = await HubStub.StartAsync();
        await _edge.DisposeAsync();
        _edge = await EdgeHost.StartAsync(_directory.FullName, _clock, new Dictionary<string, string?>
        {
            ["Edge:HubAddress"] = hub.Address,
            ["Edge:HubProbeInterval"] = "00:00:00.200",
            ["Edge:Sync:ConfirmTimeout"] = "00:00:02",
        });
        await WaitUntilAsync(() => _edge.Get<Hub.HubConnectivity>().IsOnline);
        clerk = await SignInAsync("staff-1", "counter-clerk");
        request = Operation(clerk, "seal", "request-certificate", ("copies", "2"));
        request.Pin = EdgeWorld.ResidentPin;
        var e = await RefusedAsync(request, StatusCode.Unavailable, "AwaitingHub");
        Assert.Contains("same request", e.Status.Detail, StringComparison.Ordinal);

        // Kept, flagged for the hub's decision, and not settled by asking again.
        var kept = Assert.Single(_edge.Get<LocalRecords>().Transactions("seal"));
        Assert.True(kept.Confirm);
        Assert.Null(_edge.Get<LocalRecords>().Decision(kept.Seq));
        await RefusedAsync(request, StatusCode.Unavailable, "AwaitingHub");
        Assert.Single(_edge.Get<LocalRecords>().Transactions("seal"));

        // A local rule still refuses before anything goes to the hub.
        await InsertAsync(_world.Resident("C-0004"), 1);
        request = Operation(clerk, "seal", "request-certificate", ("copies", "1"));
        request.Pin = EdgeWorld.ResidentPin;
        await RefusedAsync(request, StatusCode.FailedPrecondition, "SealNotRegistered");
    }

    [Fact]
    public async Task Training_records_are_flagged_and_do_not_count()
    {
        var librarian = await SignInAsync("staff-2", "librarian");
        await InsertAsync(_world.Resident("C-0001"), 1);
        await _edge.Client.SetTrainingModeAsync(new SetTrainingModeRequest { Session = librarian, Enabled = true }, cancellationToken: Cancel);
        for (var i = 1; i <= 3; i++)
        {
            var reply = await ExecuteAsync(Operation(librarian, "library", "checkout", ("item", $"T-{i}")));
            Assert.True(reply.Training);
        }
        await _edge.Client.SetTrainingModeAsync(new SetTrainingModeRequest { Session = librarian, Enabled = false }, cancellationToken: Cancel);
        // Three training loans, yet the limit of 2 real loans is untouched.
        await ExecuteAsync(Operation(librarian, "library", "checkout", ("item", "B-1")));
        await ExecuteAsync(Operation(librarian, "library", "checkout", ("item", "B-2")));
        Assert.Equal(2, _edge.Get<LocalRecords>().Count("library", "checkout"));
        Assert.Equal(5, _edge.Get<LocalRecords>().Count("library", "checkout", includeTraining: true));

        // Terminal-wide training is for the site administrator only.
        var e = await Assert.ThrowsAsync<RpcException>(() => _edge.Client.SetTrainingModeAsync(new SetTrainingModeRequest { Session = librarian, TerminalWide = true, Enabled = true }, cancellationToken: Cancel).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
    }

    public static TheoryData<string, string, string, string, string> BadRequests => new()
    {
        // request id, service, operation, field name=value, the field the error must name
        { "", "library", "checkout", "item=B-1", "request_id" },
        { new string('x', 65), "library", "checkout", "item=B-1", "request_id" },
        { "r-1", "", "checkout", "item=B-1", "service" },
        { "r-2", "no-such-service", "checkout", "item=B-1", "service" },
        { "r-3", "library", "burn", "item=B-1", "operation" },
        { "r-4", "library", "checkout", "", "fields.item" },
        { "r-5", "library", "checkout", "item=" + new string('b', 5000), "fields.item" },
        { "r-6", "library", "checkout", "colour=red", "fields.colour" },
        { "r-7", "points", "accrue", "points=lots", "fields.points" },
        { "r-8", "points", "accrue", "points=-5", "fields.points" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_invalid_argument_naming_the_field_and_store_nothing(string requestId, string service, string operation, string field, string named)
    {
        var session = await SignInAsync("staff-1", "counter-clerk");
        var before = _edge.Get<LocalRecords>().LastSeq(OutboxStreams.Transactions);
        var request = new OperationRequest { RequestId = requestId, Session = session, Service = service, Operation = operation, Reader = EdgeWorld.ResidentReader };
        if (field.Length > 0)
        {
            var parts = field.Split('=', 2);
            request.Fields[parts[0]] = parts[1];
        }
        var e = await Assert.ThrowsAsync<RpcException>(() => ExecuteAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(named, e.Trailers.GetValue(RefusalInterceptor.FieldTrailer));
        Assert.Contains(named, e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, _edge.Get<LocalRecords>().LastSeq(OutboxStreams.Transactions));
    }

    [Fact]
    public async Task A_retried_request_is_recorded_once()
    {
        var librarian = await SignInAsync("staff-2", "librarian");
        await InsertAsync(_world.Resident("C-0001"), 1);
        var request = Operation(librarian, "library", "checkout", ("item", "B-1"));
        var first = await ExecuteAsync(request);
        var retry = await ExecuteAsync(request);
        Assert.False(first.Duplicate);
        Assert.True(retry.Duplicate);
        Assert.Equal(first.Sequence, retry.Sequence);
        Assert.Equal(1, _edge.Get<LocalRecords>().Count("library", "checkout"));
    }

    [Fact]
    public async Task Status_services_and_reader_events_are_visible_to_front_ends()
    {
        using var watch = _edge.Client.WatchReaders(new WatchReadersRequest(), cancellationToken: Cancel);
        await InsertAsync(_world.Resident("C-0001"), 1);
        var seen = new List<string>();
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            while (await watch.ResponseStream.MoveNext(timeout.Token))
            {
                var e = watch.ResponseStream.Current;
                seen.Add($"{e.Kind} {e.Reader}");
                if (e.Kind == "CardInserted" && e.Reader == EdgeWorld.ResidentReader)
                {
                    break;
                }
            }
        }
        Assert.Contains($"ReaderAdded {EdgeWorld.ResidentReader}", seen);
        Assert.Contains($"CardInserted {EdgeWorld.ResidentReader}", seen);

        var services = await _edge.Client.ListServicesAsync(new ListServicesRequest(), cancellationToken: Cancel);
        Assert.Equal(["checkup", "library", "points", "seal", "shelter"], services.Services.Select(s => s.Id));
        Assert.Equal("OnlineOnly", services.Services.Single(s => s.Id == "seal").Operations.Single().OfflinePolicy);

        var status = await _edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel);
        Assert.Equal("131016-T001", status.TerminalId);
        Assert.False(status.Online);
        Assert.Contains(status.Backlog, b => b.Stream == OutboxStreams.Audit);

        var who = await _edge.Client.IdentifyAsync(new IdentifyRequest { Reader = EdgeWorld.ResidentReader }, cancellationToken: Cancel);
        Assert.Equal("C-0001", who.CardRef);
        Assert.Contains(who.Memberships, m => m.Service == "library" && m.Member == "LC-0001");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(50, Cancel);
        }
    }
}
