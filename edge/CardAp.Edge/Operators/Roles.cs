using CardAp.Shared.Domain;

namespace CardAp.Edge.Operators;

/// <summary>Operator roles written on operator cards; service operations name the roles they allow (the list is <see cref="OperatorRoles"/>, shared with provisioning).</summary>
public static class Roles
{
    public const string CounterClerk = OperatorRoles.CounterClerk;
    public const string Librarian = OperatorRoles.Librarian;
    public const string ShelterStaff = OperatorRoles.ShelterStaff;
    public const string HealthStaff = OperatorRoles.HealthStaff;
    /// <summary>Terminal administration: training mode for the terminal, master snapshot import, backup.</summary>
    public const string SiteAdmin = OperatorRoles.SiteAdmin;

    public static readonly IReadOnlySet<string> All = OperatorRoles.All;
}
