using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CardAp.Card.Readers;
using CardAp.Edge.Api;
using CardAp.Edge.Screen;
using CardAp.Edge.Store;
using CardAp.VirtualCard.InProcess;

namespace CardAp.Edge.Tests.Integration;

/// <summary>
/// The screen's JSON API end to end: real Kestrel on loopback (the screen's HTTP/1.1 endpoint next to
/// the gRPC one), HttpClient, the edge's in-process virtual readers, a real SQLite file.
/// </summary>
public sealed class ScreenApiTests : IAsyncLifetime
{
    private static readonly string OperatorReader = InProcessCardReaders.ReaderName(0);
    private static readonly string ResidentReader = InProcessCardReaders.ReaderName(1);

    private readonly EdgeWorld _world = new();
    private readonly ManualClock _clock = new(EdgeWorld.WorkingDay);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("cardap-screen-");
    private EdgeHost _edge = null!;
    private HttpClient _http = null!;
    private int _requests;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private InProcessCardReaders Readers => (InProcessCardReaders)_edge.Get<ICardReaders>();

    public async ValueTask InitializeAsync()
    {
        _edge = await EdgeHost.StartAsync(_directory.FullName, _clock, new Dictionary<string, string?> { ["Edge:Readers"] = "Virtual" });
        _edge.Get<MasterData>().Apply(_world.MasterData());
        _http = new HttpClient { BaseAddress = _edge.ScreenAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_edge is not null)
        {
            await _edge.DisposeAsync();
        }
        _world.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string method, string json, string mediaType = "application/json")
    {
        using var content = new StringContent(json, Encoding.UTF8, mediaType);
        using var response = await _http.PostAsync($"api/{method}", content, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    private async Task<string> SignInAsync(string id, string role)
    {
        Readers.Insert(OperatorReader, _world.Operator(id, role));
        var (status, body) = await PostAsync("SignIn", $$"""{"reader":"{{OperatorReader}}","pin":"1111"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        return (string)body["session"]!;
    }

    private string Checkout(string session, string item) =>
        $$$"""{"requestId":"screen-{{{Interlocked.Increment(ref _requests)}}}","session":"{{{session}}}","service":"library","operation":"checkout","reader":"{{{ResidentReader}}}","fields":{"item":"{{{item}}}"}}""";

    private static void AssertRefusal(JsonObject body, string reason, string status, string? field = null)
    {
        Assert.Equal(reason, (string?)body["reason"]);
        Assert.Equal(status, (string?)body["status"]);
        Assert.Equal(field, (string?)body["field"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["messageEn"]));
        // Japanese as text, and really Japanese: a clerk reads it.
        Assert.Contains((string)body["messageJa"]!, c => c is >= '\u3040' and <= '\u30ff' or >= '\u4e00' and <= '\u9fff');
    }

    [Fact]
    public async Task A_clerk_signs_in_identifies_a_resident_and_checks_out_a_book_through_the_same_service()
    {
        var session = await SignInAsync("staff-1", "librarian");
        Readers.Insert(ResidentReader, _world.Resident("C-0001"));

        var (status, who) = await PostAsync("Identify", $$"""{"session":"{{session}}","reader":"{{ResidentReader}}"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("C-0001", (string?)who["cardRef"]);
        Assert.Contains(who["memberships"]!.AsArray(), m => (string?)m!["service"] == "library" && (string?)m["member"] == "LC-0001");

        var (executed, reply) = await PostAsync("Execute", Checkout(session, "B-1"));
        Assert.Equal(HttpStatusCode.OK, executed);
        Assert.Contains("B-1", (string)reply["messageJa"]!, StringComparison.Ordinal);
        Assert.Equal("LC-0001", (string?)reply["member"]);
        Assert.False((bool)reply["duplicate"]!);
        Assert.Equal("2026-12-09", (string?)reply["result"]!["dueOn"]);

        // The record is the gRPC endpoint's record too: one service, two doors.
        var records = _edge.Get<LocalRecords>();
        Assert.NotNull(records.ByRequestId((string)reply["requestId"]!));
        var (_, services) = await PostAsync("ListServices", "{}");
        var checkout = services["services"]!.AsArray().Single(s => (string?)s!["id"] == "library")!["operations"]!.AsArray().Single(o => (string?)o!["name"] == "checkout")!;
        Assert.True((bool)checkout["kioskAllowed"]!);
        Assert.True((bool)checkout["needsMembership"]!);
        Assert.Equal("""[{"name":"item","type":"Text","required":true,"maxLength":32}]""", checkout["fieldDetails"]!.ToJsonString());
        var (_, state) = await PostAsync("GetStatus", "");
        Assert.Equal("131016-T001", (string?)state["terminalId"]);
        Assert.Equal(1, state["signedInSessions"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_refusal_is_the_right_http_status_with_its_reason_in_english_and_japanese()
    {
        Readers.Insert(OperatorReader, _world.Operator("staff-1", "librarian"));
        var (wrongPin, pinBody) = await PostAsync("SignIn", $$"""{"reader":"{{OperatorReader}}","pin":"0000"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPin);
        AssertRefusal(pinBody, "PinWrong", "Unauthenticated");

        var session = (await PostAsync("SignIn", $$"""{"reader":"{{OperatorReader}}","pin":"1111"}""")).Body["session"]!.GetValue<string>();
        Readers.Insert(ResidentReader, _world.Resident("C-SUSP"));
        var (suspended, body) = await PostAsync("Execute", Checkout(session, "B-1"));
        Assert.Equal(HttpStatusCode.BadRequest, suspended);
        AssertRefusal(body, "Suspended", "FailedPrecondition");
        Assert.Contains("suspended", (string)body["messageEn"]!, StringComparison.Ordinal);
        Assert.Contains("一時停止", (string)body["messageJa"]!, StringComparison.Ordinal);

        var (role, roleBody) = await PostAsync("Execute",
            $$$"""{"requestId":"screen-role","session":"{{{session}}}","service":"shelter","operation":"checkin","reader":"{{{ResidentReader}}}","fields":{"shelter":"gym-1"}}""");
        Assert.Equal(HttpStatusCode.Forbidden, role);
        AssertRefusal(roleBody, "RoleNotPermitted", "PermissionDenied");

        var (offline, offlineBody) = await PostAsync("Execute",
            $$$"""{"requestId":"screen-seal","service":"seal","operation":"request-certificate","reader":"{{{ResidentReader}}}","pin":"1234","fields":{"copies":"1"}}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, offline);
        AssertRefusal(offlineBody, "OnlineOnly", "Unavailable");

        var (field, fieldBody) = await PostAsync("Execute", Checkout(session, ""));
        Assert.Equal(HttpStatusCode.BadRequest, field);
        AssertRefusal(fieldBody, "InvalidArgument", "InvalidArgument", "fields.item");
    }

    [Theory]
    [InlineData("""{"reader":"r","pin":""", "MalformedJson", null)]
    [InlineData("""{"reader":"r","pin":1234}""", "MalformedJson", null)]
    [InlineData("""[1,2]""", "MalformedJson", null)]
    [InlineData("""{"reader":"r","colour":"blue"}""", "InvalidArgument", "colour")]
    [InlineData("""{"reader":"r","pin":"123"}""", "InvalidArgument", "pin")]
    public async Task A_bad_request_gets_a_400_that_says_what_is_wrong(string json, string reason, string? field)
    {
        var (status, body) = await PostAsync("SignIn", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertRefusal(body, reason, "InvalidArgument", field);
        Assert.Contains("SignIn", _edge.Get<ScreenApi>().Methods);
    }

    [Fact]
    public async Task Map_keys_are_the_callers_but_other_names_must_be_fields()
    {
        var (status, body) = await PostAsync("Execute", """{"requestId":"x","fields":{"free":"keys are fine"},"recordedAt":"2026-01-01T00:00:00Z"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertRefusal(body, "InvalidArgument", "InvalidArgument", "recordedAt");
    }

    [Fact]
    public async Task What_is_not_a_json_call_is_refused_plainly()
    {
        var (notJson, body) = await PostAsync("GetStatus", "{}", "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson);
        Assert.Equal("JsonRequired", (string?)body["reason"]);

        var (unknown, unknownBody) = await PostAsync("DeleteEverything", "{}");
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("UnknownMethod", (string?)unknownBody["reason"]);

        using var get = await _http.GetAsync("api/Execute", Cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("POST", get.Content.Headers.Allow.Single());
    }

    [Fact]
    public async Task Pages_come_from_the_assembly_with_headers_that_keep_other_sites_out()
    {
        using var page = await _http.GetAsync("", Cancel);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("data-testid=\"status-bar\"", await page.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        foreach (var asset in new[] { "screen.js", "i18n.js", "screen.css" })
        {
            using var file = await _http.GetAsync(asset, Cancel);
            Assert.True(file.IsSuccessStatusCode, asset);
        }

        // A name that rebinds to this machine is not this terminal's screen.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "api/GetStatus");
        rebound.Headers.Host = "attacker.example";
        using var misdirected = await _http.SendAsync(rebound, Cancel);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, misdirected.StatusCode);

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "api/SignOut") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        crossSite.Headers.Add("Origin", "http://attacker.example");
        using var forbidden = await _http.SendAsync(crossSite, Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("CrossOrigin", (string?)JsonNode.Parse(await forbidden.Content.ReadAsStringAsync(Cancel))!["reason"]);
    }

    [Fact]
    public async Task Each_endpoint_serves_its_own_protocol_only()
    {
        // The terminal API's endpoint knows no screen (HTTP/2 without TLS, as gRPC clients speak it)...
        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var page = await h2c.GetAsync(new Uri(_edge.Address, "/api/GetStatus"), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        // ...and still serves gRPC, while the screen's endpoint serves no gRPC.
        var status = await _edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel);
        Assert.Equal("131016-T001", status.TerminalId);
        using var grpcOnScreen = new HttpRequestMessage(HttpMethod.Post, "cardap.edge.v1.Terminal/GetStatus") { Content = new ByteArrayContent([0, 0, 0, 0, 0]) };
        grpcOnScreen.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var refused = await _http.SendAsync(grpcOnScreen, Cancel);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task Reader_events_arrive_as_server_sent_events_starting_with_the_current_state()
    {
        Readers.Insert(OperatorReader, _world.Operator("staff-1", "librarian"));
        using var response = await _http.GetAsync("api/WatchReaders", HttpCompletionOption.ResponseHeadersRead, Cancel);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancel));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));

        async Task<JsonObject> NextAsync()
        {
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    return JsonNode.Parse(line["data: ".Length..])!.AsObject();
                }
            }
            throw new EndOfStreamException();
        }

        var seen = new List<string>();
        while (seen.LastOrDefault() != $"CardInserted {OperatorReader}")
        {
            var e = await NextAsync();
            seen.Add($"{e["kind"]} {e["reader"]}");
        }
        Assert.Contains($"ReaderAdded {ResidentReader}", seen);

        Readers.Insert(ResidentReader, _world.Resident("C-0001"));
        JsonObject inserted;
        do
        {
            inserted = await NextAsync();
        }
        while ((string?)inserted["kind"] != "CardInserted");
        Assert.Equal(ResidentReader, (string?)inserted["reader"]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5081", true)]
    [InlineData("http://[::1]:0", true)]
    [InlineData("http://localhost:5081", true)]
    [InlineData("", true)]
    [InlineData("https://127.0.0.1:5081", false)]
    [InlineData("http://terminal-1:5081", false)]
    [InlineData("http://127.0.0.1:5081/screen", false)]
    [InlineData("http://localhost:0", false)]
    [InlineData("127.0.0.1:5081", false)]
    public void The_screen_address_is_checked_at_start_up(string url, bool valid)
    {
        var result = new ScreenOptionsValidator().Validate(null, new ScreenOptions { Url = url });
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.StartsWith("Edge:Screen:Url", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_host_refuses_to_start_with_a_bad_screen_address()
    {
        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            EdgeHost.StartAsync(Path.Combine(_directory.FullName, "bad"), _clock, new Dictionary<string, string?> { ["Edge:Screen:Url"] = "https://0.0.0.0:443" }));
        Assert.Contains("Edge:Screen:Url", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_screen_off_only_the_terminal_api_listens()
    {
        await using var edge = await EdgeHost.StartAsync(Path.Combine(_directory.FullName, "off"), _clock, new Dictionary<string, string?> { ["Edge:Screen:Url"] = "" });
        Assert.Null(edge.ScreenAddress);
        var addresses = edge.Get<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        Assert.Single(addresses);
        Assert.Equal("131016-T001", (await edge.Client.GetStatusAsync(new StatusRequest(), cancellationToken: Cancel)).TerminalId);
    }
}
