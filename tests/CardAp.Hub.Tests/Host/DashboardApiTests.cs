using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CardAp.Hub.Api;
using CardAp.Hub.Dashboard;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Tests.Reports;
using CardAp.Shared.Domain;
using CardAp.Shared.Hours;

namespace CardAp.Hub.Tests.Host;

/// <summary>
/// The dashboard through a real hub (Kestrel, mutual TLS, SQLite) with plain HTTP clients, as a
/// browser reaches it: an administrator gets their municipality's figures, the same as the gRPC
/// report API's; another municipality's administrator, a terminal and a caller without a
/// certificate get nothing of them.
/// </summary>
public sealed class DashboardApiTests : TwoMunicipalityHub
{
    private const string October = "from=2026-10-01&to=2026-10-31";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly List<IDisposable> _clients = [];
    private IReadOnlyList<UsageRecord> _chiyodaRecords = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var records = new UsageRecords(new HubDatabase(HubEngine.Sqlite, Pki.Settings()["Hub:Database:ConnectionString"]!));
        _chiyodaRecords = UsageData.Generate(Chiyoda, new DateOnly(2026, 10, 1), days: 31, count: 600, seed: 41);
        await records.AddAsync(_chiyodaRecords, Cancel);
        await records.AddAsync(UsageData.Generate(Sapporo, new DateOnly(2026, 10, 1), days: 31, count: 300, seed: 42), Cancel);
    }

    public override async ValueTask DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        await base.DisposeAsync();
    }

    [Fact]
    public async Task An_administrator_gets_the_page_and_who_they_are_with_the_hubs_day_in_japan()
    {
        var http = AdminHttp(Chiyoda);
        var before = JapanTime.DateOf(DateTimeOffset.UtcNow);

        using var page = await http.GetAsync("/dashboard/", Cancel);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("dashboard.js", await page.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        foreach (var asset in new[] { "dashboard.js", "dashboard.css" })
        {
            using var response = await http.GetAsync($"/dashboard/{asset}", Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var missing = await http.GetAsync("/dashboard/appsettings.json", Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        foreach (var bare in new[] { "/", "/dashboard" })
        {
            using var redirected = await http.GetAsync(bare, Cancel);
            Assert.Equal(HttpStatusCode.OK, redirected.StatusCode);
            Assert.Equal("/dashboard/", redirected.RequestMessage?.RequestUri?.AbsolutePath);
        }

        var me = await http.GetFromJsonAsync<DashboardMe>("/dashboard/api/me", Json, Cancel);
        Assert.NotNull(me);
        Assert.Equal(("admin-131016", "municipality-admin"), (me.Id, me.Role));
        Assert.Equal([new DashboardMunicipality("131016", "千代田区")], me.Municipalities);
        Assert.Contains(me.Today, new[] { before, JapanTime.DateOf(DateTimeOffset.UtcNow) }.Select(UsageRecords.DayText));
        Assert.Equal(30, me.StaleAfterMinutes);
        Assert.Contains(me.Services, s => s.Id == "library" && s.NameJa == "図書館");
    }

    [Fact]
    public async Task The_figures_and_csv_are_the_report_apis_own()
    {
        var http = AdminHttp(Chiyoda);
        var grpc = new CardAp.Hub.Api.Reports.ReportsClient(AdminChannel(Chiyoda));
        var request = new UsageRequest { Municipalities = { "131016" }, From = "2026-10-01", To = "2026-10-31" };

        var usage = await http.GetFromJsonAsync<DashboardUsage>($"/dashboard/api/usage?municipality=131016&{October}", Json, Cancel);
        Assert.NotNull(usage);
        var expected = UsageData.Figures(_chiyodaRecords.Where(r => !r.Training));
        Assert.Equal((expected.Done, expected.Offline, expected.Refused), (usage.Total.Done, usage.Total.Offline, usage.Total.Refused));
        var reply = await grpc.GetUsageAsync(request, cancellationToken: Cancel);
        Assert.Equal(reply.Tables.Select(t => t.Name), usage.Tables.Select(t => t.Name));
        foreach (var table in reply.Tables)
        {
            var mine = usage.Tables.Single(t => t.Name == table.Name);
            Assert.Equal(
                table.Rows.Select(r => (string.Join('|', r.Keys), r.Figures.Done, r.Figures.Offline, r.Figures.Refused)),
                mine.Rows.Select(r => (string.Join('|', r.Keys), r.Figures.Done, r.Figures.Offline, r.Figures.Refused)));
        }
        Assert.Equal(reply.Refusals.Select(r => (r.Service, r.Reason, r.Count)), usage.Refusals.Select(r => (r.Service, r.Reason, r.Count)));
        Assert.Equal(["131016"], usage.Municipalities);

        foreach (var table in new[] { "service-day", "hour", "refusals" })
        {
            using var csv = await http.GetAsync($"/dashboard/api/usage.csv?municipality=131016&{October}&table={table}", Cancel);
            Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
            Assert.Equal("text/csv; charset=utf-8", csv.Content.Headers.ContentType?.ToString());
            Assert.Equal("attachment", csv.Content.Headers.ContentDisposition?.DispositionType);
            Assert.Equal($"usage-131016-2026-10-01-2026-10-31-{table}.csv", csv.Content.Headers.ContentDisposition?.FileNameStar);
            var file = await grpc.ExportUsageCsvAsync(new ExportUsageRequest { Usage = request, Table = table }, cancellationToken: Cancel);
            Assert.Equal(file.Content.ToByteArray(), await csv.Content.ReadAsByteArrayAsync(Cancel));
        }
    }

    [Fact]
    public async Task A_chart_is_the_report_apis_png_at_the_size_asked()
    {
        var http = AdminHttp(Chiyoda);
        using var chart = await http.GetAsync($"/dashboard/api/chart.png?municipality=131016&{October}&table=hour&width=720&height=340", Cancel);
        Assert.Equal(HttpStatusCode.OK, chart.StatusCode);
        Assert.Equal("image/png", chart.Content.Headers.ContentType?.MediaType);
        var png = await chart.Content.ReadAsByteArrayAsync(Cancel);
        Assert.Equal((720, 340), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4))));
    }

    [Fact]
    public async Task The_fleet_view_lists_terminals_and_flags_silent_ones()
    {
        await CentralIt.PutMasterAsync(new PutMasterRequest
        {
            Municipality = "131016", Kind = MasterKinds.Terminal, Key = "131016-T002", PayloadJson = """{"site":"library-1","status":"active"}""",
        }, cancellationToken: Cancel);
        var contacts = new TerminalContacts(new HubDatabase(HubEngine.Sqlite, Pki.Settings()["Hub:Database:ConnectionString"]!));
        await contacts.RecordAsync(Chiyoda, "131016-T001", "1.4.0", backlog: 12, DateTimeOffset.UtcNow, Cancel);

        var fleet = await AdminHttp(Chiyoda).GetFromJsonAsync<DashboardFleet>("/dashboard/api/fleet?municipality=131016", Json, Cancel);

        Assert.NotNull(fleet);
        Assert.Equal(["131016-T001", "131016-T002"], fleet.Terminals.Select(t => t.Terminal));
        var (t1, t2) = (fleet.Terminals[0], fleet.Terminals[1]);
        Assert.Equal(("1.4.0", 12L, false, false), (t1.SoftwareVersion, t1.Backlog, t1.Stale, t1.Registered));
        Assert.NotNull(t1.LastContactAt);
        Assert.Equal(("library-1", "active", true, true), (t2.Site, t2.Status, t2.Registered, t2.Stale));
        Assert.Null(t2.LastContactAt);
        Assert.Equal(30, fleet.StaleAfterMinutes);
    }

    [Fact]
    public async Task Another_municipalitys_administrator_gets_403_and_none_of_its_figures()
    {
        var sapporo = AdminHttp(Sapporo);
        string[] urls =
        [
            $"/dashboard/api/usage?municipality=131016&{October}",
            $"/dashboard/api/usage?municipality=011002&municipality=131016&{October}",
            $"/dashboard/api/usage.csv?municipality=131016&{October}&table=service",
            $"/dashboard/api/usage.csv?municipality=131016&{October}&table=refusals",
            $"/dashboard/api/chart.png?municipality=131016&{October}&table=day",
            "/dashboard/api/fleet?municipality=131016",
        ];
        foreach (var url in urls)
        {
            using var response = await sapporo.GetAsync(url, Cancel);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<DashboardProblem>(Json, Cancel);
            Assert.Equal(TenantScope.OtherMunicipalityReason, problem?.Reason);
            Assert.Contains("131016", problem!.Message, StringComparison.Ordinal);
            Assert.Contains("許可されていません", problem.MessageJa, StringComparison.Ordinal);
        }

        // Its own figures are there, and only its own.
        var own = await sapporo.GetFromJsonAsync<DashboardUsage>($"/dashboard/api/usage?municipality=011002&{October}", Json, Cancel);
        Assert.Equal(["011002"], own!.Municipalities);
        Assert.All(own.Tables.Single(t => t.Name == "terminal").Rows, r => Assert.StartsWith("011002-", r.Keys[0], StringComparison.Ordinal));
        var me = await sapporo.GetFromJsonAsync<DashboardMe>("/dashboard/api/me", Json, Cancel);
        Assert.Equal(["011002"], me!.Municipalities.Select(m => m.Code));
    }

    [Fact]
    public async Task A_terminal_certificate_gets_nothing_not_even_the_page()
    {
        var terminal = Http(Pki.Ca.IssueTerminalCertificate("131016-T001"));
        foreach (var url in new[] { "/", "/dashboard/", "/dashboard/dashboard.js", "/dashboard/api/me", $"/dashboard/api/usage?municipality=131016&{October}", "/dashboard/api/fleet?municipality=131016" })
        {
            using var response = await terminal.GetAsync(url, Cancel);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync(Cancel);
            Assert.Contains("not an administrator", body, StringComparison.Ordinal);
            Assert.DoesNotContain("dashboard.js", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task No_certificate_or_one_from_another_ca_fails_the_tls_handshake()
    {
        using var otherCa = HubCertificateAuthority.Create();
        using var foreign = otherCa.IssueAdminCertificate("admin-131016", CallerRole.MunicipalityAdmin, [Chiyoda]);
        foreach (var client in new[] { Http(null), Http(foreign) })
        {
            foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/api/me") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
                var e = await Assert.ThrowsAnyAsync<Exception>(() => client.SendAsync(request, Cancel));
                Assert.True(e is HttpRequestException or IOException or System.Security.Authentication.AuthenticationException, $"Expected a TLS failure, got {e}");
            }
        }
    }

    [Fact]
    public async Task A_revoked_administrator_certificate_is_refused_on_the_next_request()
    {
        using var certificate = Pki.Ca.IssueAdminCertificate("admin-leaving", CallerRole.MunicipalityAdmin, [Chiyoda]);
        var http = Http(certificate);
        using (var before = await http.GetAsync("/dashboard/api/me", Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        await CentralIt.RevokeCertificateAsync(new RevokeCertificateRequest
        {
            Serial = certificate.SerialNumber,
            Subject = CallerIdentity.FromCertificate(certificate).ToUriString(),
            Reason = "left the department",
        }, cancellationToken: Cancel);

        foreach (var url in new[] { "/dashboard/api/me", "/dashboard/" })
        {
            using var after = await http.GetAsync(url, Cancel);
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
            Assert.Contains("revoked", await after.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_api_answers_no_other_sites_page_and_bad_requests_name_the_field()
    {
        var http = AdminHttp(Chiyoda);
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/dashboard/api/usage?municipality=131016&{October}"))
        {
            request.Headers.Add("Sec-Fetch-Site", "cross-site");
            using var response = await http.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal(DashboardGate.CrossSiteReason, (await response.Content.ReadFromJsonAsync<DashboardProblem>(Json, Cancel))?.Reason);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/dashboard/api/usage?municipality=131016&{October}"))
        {
            request.Headers.Add("Sec-Fetch-Site", "same-origin");
            using var response = await http.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        (string Url, string Field)[] bad =
        [
            ("/dashboard/api/usage?municipality=131016&from=2026/10/01&to=2026-10-31", "from"),
            ("/dashboard/api/usage?municipality=131016&from=2026-10-31&to=2026-10-01", "to"),
            ("/dashboard/api/usage?municipality=131016&from=2026-10-01&from=2026-10-02&to=2026-10-31", "from"),
            ($"/dashboard/api/usage?{October}", "municipalities"),
            ($"/dashboard/api/usage?municipality=131017&{October}", "municipality"),
            ($"/dashboard/api/usage.csv?municipality=131016&{October}&table=weather", "table"),
            ($"/dashboard/api/chart.png?municipality=131016&{October}&table=day&width=50", "width"),
            ($"/dashboard/api/chart.png?municipality=131016&{October}&table=day&width=wide", "width"),
            ("/dashboard/api/fleet", "municipality"),
        ];
        foreach (var (url, field) in bad)
        {
            using var response = await http.GetAsync(url, Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith(field, (await response.Content.ReadFromJsonAsync<DashboardProblem>(Json, Cancel))?.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Browsers_get_http_1_1_or_h2_and_grpc_stays_on_h2()
    {
        var http = AdminHttp(Chiyoda);
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/api/me") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var response = await http.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(version, response.Version);
        }
        var who = await new Admin.AdminClient(AdminChannel(Chiyoda)).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: Cancel);
        Assert.Equal("admin-131016", who.Id);
    }

    [Fact]
    public async Task With_the_dashboard_off_the_endpoint_is_http2_only_and_serves_no_page()
    {
        using var pki = new HubPki();
        await using var hub = await HubHost.StartAsync(pki, new Dictionary<string, string?> { ["Hub:Dashboard:Enabled"] = "false" });
        using var certificate = pki.Ca.IssueAdminCertificate("admin-131016", CallerRole.MunicipalityAdmin, [Chiyoda]);
        using var http = hub.Http(certificate);

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact })
        using (var response = await http.SendAsync(request, Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            await Assert.ThrowsAnyAsync<Exception>(() => http.SendAsync(request, Cancel));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private HttpClient AdminHttp(MunicipalityCode municipality) =>
        Http(Pki.Ca.IssueAdminCertificate($"admin-{municipality.Value}", CallerRole.MunicipalityAdmin, [municipality]));

    private HttpClient Http(X509Certificate2? certificate)
    {
        var client = Hub.Http(certificate);
        _clients.Add(client);
        return client;
    }
}
