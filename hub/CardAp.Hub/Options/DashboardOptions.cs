namespace CardAp.Hub.Options;

/// <summary>The dashboard for administrators' browsers (section "Hub:Dashboard"), docs/dashboard.md.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Hub:Dashboard";

    /// <summary>
    /// Serve /dashboard/ on the mutual-TLS endpoint, which then also speaks HTTP/1.1 (browsers need it
    /// for client certificates). Off: the endpoint is HTTP/2 only, as the APIs need, and serves no pages.
    /// </summary>
    public bool Enabled { get; set; } = true;
}
