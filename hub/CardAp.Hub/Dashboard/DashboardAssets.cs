namespace CardAp.Hub.Dashboard;

/// <summary>A file of the dashboard's page, as embedded in the hub assembly.</summary>
public sealed record DashboardAsset(string Name, string ContentType, byte[] Content);

/// <summary>
/// The dashboard's page (HTML, JavaScript, CSS), embedded in the hub assembly as resources named
/// "dashboard/&lt;file&gt;" (CardAp.Hub.csproj): no folder to deploy beside the hub and no build step,
/// and nothing outside this fixed list can be served.
/// </summary>
public sealed class DashboardAssets
{
    public const string IndexFile = "index.html";
    private const string ResourcePrefix = "dashboard/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    private readonly Dictionary<string, DashboardAsset> _assets = new(StringComparer.Ordinal);

    public DashboardAssets()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            _assets[name] = new DashboardAsset(name, ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream"), memory.ToArray());
        }
        if (!_assets.ContainsKey(IndexFile))
        {
            throw new InvalidOperationException($"The hub assembly holds no dashboard page ({ResourcePrefix}{IndexFile}): the build left the embedded resources out.");
        }
    }

    public IEnumerable<string> Names => _assets.Keys;

    public DashboardAsset? Find(string? name) => name is not null && _assets.TryGetValue(name, out var asset) ? asset : null;
}
