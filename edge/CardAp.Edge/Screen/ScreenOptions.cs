using System.Net;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Screen;

/// <summary>The terminal screen's settings (section "Edge:Screen"), validated at start-up.</summary>
public sealed class ScreenOptions
{
    public const string Section = "Edge:Screen";

    /// <summary>Next to the terminal API's usual 5080 (docs/operations.md).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5081";

    /// <summary>
    /// Where the screen (pages and their JSON API) listens, over HTTP/1.1: browsers speak HTTP/2
    /// only over TLS, and the terminal API's endpoint is HTTP/2 without it. Empty: no screen.
    /// </summary>
    public string? Url { get; set; } = DefaultUrl;

    public bool Enabled => !string.IsNullOrEmpty(Url);

    /// <summary>
    /// The address to listen on: an IP address, or null for "localhost" (both loopbacks). Port 0
    /// takes any free port (tests, the demo). Null with the problem when <paramref name="url"/> is not usable.
    /// </summary>
    public static (IPAddress? Address, int Port)? Parse(string url, out string? problem)
    {
        problem = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            problem = "is not an absolute URL such as http://127.0.0.1:5081";
            return null;
        }
        if (uri.Scheme != Uri.UriSchemeHttp)
        {
            // A certificate would have to be managed on every terminal for a page that belongs on loopback.
            problem = "must start with http:// (the screen has no TLS: keep it on loopback)";
            return null;
        }
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            problem = "must be scheme, host and port only, such as http://127.0.0.1:5081";
            return null;
        }
        if (uri.IsLoopback && uri.HostNameType == UriHostNameType.Dns)
        {
            if (uri.Port == 0)
            {
                problem = "cannot use port 0 with localhost (name an address, e.g. http://127.0.0.1:0)";
                return null;
            }
            return (null, uri.Port);
        }
        if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            problem = "must name an IP address or localhost, not a host name";
            return null;
        }
        return (address, uri.Port);
    }
}

/// <summary>Start-up validation with messages an installer can act on.</summary>
public sealed class ScreenOptionsValidator : IValidateOptions<ScreenOptions>
{
    public ValidateOptionsResult Validate(string? name, ScreenOptions options) =>
        !options.Enabled || ScreenOptions.Parse(options.Url!, out var problem) is not null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{ScreenOptions.Section}:Url '{options.Url}' {problem}; leave it empty to turn the screen off.");
}
