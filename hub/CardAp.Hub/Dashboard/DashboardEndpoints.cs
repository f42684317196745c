using System.Globalization;
using CardAp.Hub.Api;
using CardAp.Hub.Options;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Shared.Hours;
using CardAp.Shared.Services;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Dashboard;

/// <summary>
/// The hub dashboard (docs/dashboard.md): a page for administrators' browsers at /dashboard/ on the
/// hub's one mutual-TLS endpoint, and the JSON, CSV and PNG it reads under /dashboard/api/. Every
/// request passes <see cref="DashboardGate"/> (the certificate not revoked, an administrator);
/// every municipality a request names passes <see cref="TenantScope"/> inside <see cref="ReportQueries"/>,
/// the same code as the gRPC report API.
/// </summary>
public static class DashboardEndpoints
{
    public const string Path = "/dashboard";
    public const string ApiPath = Path + "/api";

    public static IHostApplicationBuilder AddHubDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section);
        builder.Services.AddSingleton<DashboardAssets>();
        return builder;
    }

    public static WebApplication MapHubDashboard(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.Enabled)
        {
            return app;
        }
        // Built now, so a hub built without its page fails at start rather than at the first visit.
        app.Services.GetRequiredService<DashboardAssets>();

        app.MapGet("/", () => Results.Redirect(Path + "/")).AddEndpointFilter<DashboardGate>();
        var dashboard = app.MapGroup(Path).AddEndpointFilter<DashboardGate>();
        dashboard.MapGet("/", Page);
        dashboard.MapGet("/{file}", Asset);

        var api = dashboard.MapGroup("/api");
        api.MapGet("/me", MeAsync);
        api.MapGet("/usage", UsageAsync);
        api.MapGet("/usage.csv", CsvAsync);
        api.MapGet("/chart.png", ChartAsync);
        api.MapGet("/fleet", FleetAsync);
        return app;
    }

    private static IResult Page(HttpContext http, DashboardAssets assets)
    {
        // Routing matches /dashboard too; the page's relative links need the slash.
        if (!http.Request.Path.Value!.EndsWith('/'))
        {
            return Results.Redirect(Path + "/");
        }
        return Asset(DashboardAssets.IndexFile, assets);
    }

    private static IResult Asset(string file, DashboardAssets assets) =>
        assets.Find(file) is { } asset ? Results.Bytes(asset.Content, asset.ContentType) : Results.NotFound();

    private static async Task<IResult> MeAsync(HttpContext http, MunicipalityStore municipalities, ReportQueries queries, TimeProvider clock)
    {
        var caller = http.GetCaller();
        var named = new List<DashboardMunicipality>();
        foreach (var code in caller.Municipalities)
        {
            var municipality = await municipalities.GetAsync(code, http.RequestAborted);
            named.Add(new DashboardMunicipality(code.Value, municipality?.Name));
        }
        return Results.Ok(new DashboardMe(
            caller.Id,
            caller.Role.ToWireName(),
            named,
            UsageRecords.DayText(JapanTime.DateOf(clock.GetUtcNow())),
            UsageRecords.MaxDays,
            queries.Fleet.StaleAfter.TotalMinutes,
            queries.Fleet.ClockSkewAlarm.TotalSeconds,
            [.. ServiceSchemas.BuiltIn.Select(s => new DashboardService(s.Id, s.NameJa, s.NameEn))]));
    }

    private static async Task<IResult> UsageAsync(HttpContext http, ReportQueries queries) =>
        Results.Ok(DashboardUsage.Of(await ReportAsync(http, queries)));

    private static async Task<IResult> CsvAsync(HttpContext http, ReportQueries queries)
    {
        var file = ReportQueries.Csv(await ReportAsync(http, queries), Single(http, "table"));
        return Results.File(file.Content, file.ContentType, file.FileName);
    }

    private static async Task<IResult> ChartAsync(HttpContext http, ReportQueries queries)
    {
        var size = ReportQueries.ChartSize(Pixels(http, "width"), Pixels(http, "height"));
        var file = ReportQueries.Chart(await ReportAsync(http, queries), Single(http, "table"), size);
        return Results.File(file.Content, file.ContentType);
    }

    private static async Task<IResult> FleetAsync(HttpContext http, ReportQueries queries, TimeProvider clock)
    {
        var municipality = Single(http, "municipality");
        var terminals = await queries.FleetAsync(http.GetCaller(), municipality, http.RequestAborted);
        return Results.Ok(new DashboardFleet(municipality!, clock.GetUtcNow(), queries.Fleet.StaleAfter.TotalMinutes, [.. terminals.Select(DashboardTerminal.Of)]));
    }

    private static Task<Reports.UsageReport> ReportAsync(HttpContext http, ReportQueries queries)
    {
        var municipalities = http.Request.Query["municipality"].Where(m => m is not null).Select(m => m!).ToList();
        return queries.UsageAsync(http.GetCaller(), municipalities, Single(http, "from"), Single(http, "to"), http.RequestAborted);
    }

    /// <summary>A query parameter given once; given twice, it is refused like a malformed one.</summary>
    private static string? Single(HttpContext http, string name)
    {
        var values = http.Request.Query[name];
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw ReportQueries.Invalid(name, "is given more than once.", "が複数指定されています。"),
        };
    }

    /// <summary>A size in pixels; absent is 0, the report API's "default size".</summary>
    private static int Pixels(HttpContext http, string name) =>
        Single(http, name) is not { } text ? 0
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pixels) ? pixels
        : throw ReportQueries.Invalid("width/height", $"'{text}' is not a number of pixels.", $"'{text}'はピクセル数ではありません。");

    internal static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments(ApiPath, StringComparison.Ordinal);
}
