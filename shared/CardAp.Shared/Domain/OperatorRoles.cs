namespace CardAp.Shared.Domain;

/// <summary>
/// The operator roles an operator card may carry: the edge maps each to the operations it allows,
/// provisioning refuses to write any other (a card with an unknown role could never sign in).
/// </summary>
public static class OperatorRoles
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
