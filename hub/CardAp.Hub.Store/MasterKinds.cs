namespace CardAp.Hub.Store;

/// <summary>
/// The kinds of master rows the hub keeps (the <c>kind</c> column; the store itself accepts any kind of
/// 1 to 64 characters). Kinds the edge reads carry the edge's names
/// (edge/CardAp.Edge/Master/MasterKinds.cs), so they flow down the change feed unchanged.
/// </summary>
public static class MasterKinds
{
    // Read by the edge as they are.
    public const string IssuerKey = "issuerKey";
    public const string JpkiAnchor = "jpkiAnchor";
    public const string CardStatus = "cardStatus";
    public const string JpkiLink = "jpkiLink";
    public const string OperatorStatus = "operatorStatus";
    public const string ServiceTuning = "service";
    public const string ServiceHours = "serviceHours";
    public const string Closure = "closure";

    // Hub administration and service masters.
    public const string Site = "site";
    public const string Terminal = "terminal";
    public const string Operator = "operator";
    public const string Registration = "registration";
    public const string LoanSummary = "loanSummary";
    public const string PointsBalance = "pointsBalance";
    public const string Shelter = "shelter";
    public const string AttendanceDefinition = "attendanceDefinition";
}
