namespace CardAp.Shared.Domain;

/// <summary>
/// The kinds of master-data rows: the contract between the hub, which keeps them (one generic
/// table, one change feed per municipality), and the edge, which reads them. The stores accept
/// any kind; these are the ones the code knows.
/// </summary>
public static class MasterKinds
{
    // Read by the edge.
    public const string IssuerKey = "issuerKey";
    public const string JpkiAnchor = "jpkiAnchor";
    public const string CardStatus = "cardStatus";
    public const string JpkiLink = "jpkiLink";
    public const string OperatorStatus = "operatorStatus";
    public const string ServiceTuning = "service";
    public const string ServiceHours = "serviceHours";
    public const string Closure = "closure";
    public const string LoanSummary = "loanSummary";
    public const string PointsBalance = "pointsBalance";
    public const string Shelter = "shelter";
    public const string SealRegistration = "sealRegistration";
    public const string AttendanceDefinition = "attendanceDefinition";

    // Hub administration only.
    public const string Site = "site";
    public const string Terminal = "terminal";
    public const string Operator = "operator";
    public const string Registration = "registration";
}
