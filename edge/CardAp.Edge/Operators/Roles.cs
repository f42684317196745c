namespace CardAp.Edge.Operators;

/// <summary>Operator roles written on operator cards; service operations name the roles they allow.</summary>
public static class Roles
{
    public const string CounterClerk = "counter-clerk";
    public const string Librarian = "librarian";
    public const string ShelterStaff = "shelter-staff";
    public const string HealthStaff = "health-staff";
    /// <summary>Terminal administration: training mode for the terminal, master snapshot import, backup.</summary>
    public const string SiteAdmin = "site-admin";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        CounterClerk, Librarian, ShelterStaff, HealthStaff, SiteAdmin,
    };
}
