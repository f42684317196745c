using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Screen;

/// <summary>
/// The terminal screen: pages for the clerk and the resident (embedded in this assembly, since an
/// enrolled edge's content root is the terminal's data folder, not the program's) and their JSON
/// API, on an endpoint of their own (<see cref="ScreenListener"/>).
/// </summary>
public static class ScreenExtensions
{
    /// <summary>Where the pages live inside the assembly (Screen/Assets, see the project file).</summary>
    internal const string AssetsNamespace = "CardAp.Edge.Screen.Assets";

    // Only the terminal's own files and API; nothing inline, nothing framed (no clickjacking of the keypad).
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    internal static IHostApplicationBuilder AddEdgeScreen(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ScreenOptions>().BindConfiguration(ScreenOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ScreenOptions>, ScreenOptionsValidator>();
        builder.Services.AddSingleton<ScreenListener>();
        builder.Services.AddSingleton<ScreenApi>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<ScreenListener>((kestrel, listener) => listener.Bind(kestrel));
        return builder;
    }

    internal static WebApplication MapEdgeScreen(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() => WarnWithoutTerminalApi(app));
        var assets = new EmbeddedFileProvider(typeof(ScreenExtensions).Assembly, AssetsNamespace);
        // A branch of its own: the screen's requests never reach the gRPC endpoints, and requests
        // through the terminal API's endpoint never reach the screen. With the screen off no request
        // takes it. Nothing is resolved here, so bad settings are still reported at start.
        app.MapWhen(ScreenListener.IsScreenRequest, screen =>
        {
            screen.Use(GuardAsync);
            screen.UseDefaultFiles(new DefaultFilesOptions { FileProvider = assets });
            screen.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = assets,
                // Revalidated every time (ETag), so a terminal shows the new pages as soon as the edge is upgraded.
                OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
            });
            screen.Run(http => http.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal)
                ? http.RequestServices.GetRequiredService<ScreenApi>().HandleAsync(http)
                : ScreenApi.WriteErrorAsync(http, StatusCodes.Status404NotFound, "NotFound", "There is no such page on this terminal.", "この端末にそのページはありません。"));
        });
        return app;
    }

    // Kestrel takes no --urls and no default address once an endpoint is bound in code, as the screen's
    // is; a terminal set up that way would serve the screen and no terminal API without saying so.
    private static void WarnWithoutTerminalApi(WebApplication app)
    {
        var screen = app.Services.GetRequiredService<ScreenListener>().Address;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        if (screen is not null && addresses.All(a => Uri.TryCreate(a, UriKind.Absolute, out var uri) && uri.Port == screen.Port))
        {
            app.Services.GetRequiredService<ILogger<ScreenListener>>().LogError("The terminal API listens nowhere: only the screen ({Screen}) does. Set Kestrel:Endpoints:Grpc:Url (e.g. http://127.0.0.1:5080) with Protocols Http2; --urls and ASPNETCORE_URLS are not used next to the screen's endpoint.", screen);
        }
    }

    private static Task GuardAsync(HttpContext http, Func<Task> next)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (http.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            headers.CacheControl = "no-store";
        }
        // DNS rebinding: a page from elsewhere can point its own name at this machine and then talk to
        // the screen as its own origin. It cannot make that name an IP address or "localhost".
        var host = http.Request.Host.Host;
        if (!host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(host.Trim('[', ']'), out _))
        {
            return ScreenApi.WriteErrorAsync(http, StatusCodes.Status421MisdirectedRequest, "HostNotAllowed",
                "Open the terminal screen by its address (e.g. http://127.0.0.1:5081/), not by a host name.",
                "端末画面はアドレス（例: http://127.0.0.1:5081/）で開いてください。ホスト名では開けません。");
        }
        // Another site's page in the same browser may send requests here; a browser names it in Origin.
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
            && http.Request.Headers.Origin is [{ } origin] && !origin.Equals($"{http.Request.Scheme}://{http.Request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            return ScreenApi.WriteErrorAsync(http, StatusCodes.Status403Forbidden, "CrossOrigin",
                "Requests from other sites' pages are not accepted.", "他のサイトのページからの要求は受け付けません。");
        }
        return next();
    }
}
