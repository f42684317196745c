using CardAp.Shared.Domain;

namespace CardAp.Demo.Script;

/// <summary>Who and what the scripted day involves: two municipalities sharing one hub (共同利用), three terminals, their staff and residents.</summary>
public static class Cast
{
    public const string Chiyoda = "131016";
    public const string ChiyodaName = "千代田区";
    public const string Sapporo = "011002";
    public const string SapporoName = "札幌市";

    public static readonly TerminalRole Library = new(Chiyoda, "T001", "central-library", "library", "Central Library / 中央図書館");
    public static readonly TerminalRole Counter = new(Chiyoda, "T002", "kanda-branch", ["points", "seal"], "Kanda branch counter / 神田出張所");
    public static readonly TerminalRole Shelter = new(Sapporo, "T001", "kita-shelter", "shelter", "Kita shelter / 北区避難所");

    public static readonly StaffMember Librarian = new(Chiyoda, "lib-tanaka", OperatorRoles.Librarian, "OP-A01");
    public static readonly StaffMember Clerk = new(Chiyoda, "clerk-suzuki", OperatorRoles.CounterClerk, "OP-A02");
    public static readonly StaffMember ShelterStaff = new(Sapporo, "shelter-ito", OperatorRoles.ShelterStaff, "OP-B01");

    public static readonly Resident[] ChiyodaResidents =
    [
        new(Chiyoda, "C-A001", ["library=L-0001", "points=P-0001"]),
        new(Chiyoda, "C-A002", ["library=L-0002", "points=P-0002"]),
        new(Chiyoda, "C-A003", ["library=L-0003", "seal=S-0003"]),
        new(Chiyoda, "C-A004", ["library=L-0004"]),
    ];

    public static readonly Resident[] SapporoResidents =
    [
        new(Sapporo, "C-B001", []),
        new(Sapporo, "C-B002", []),
        new(Sapporo, "C-B003", []),
    ];

    public const string ShelterId = "kita-1";
}

public sealed record TerminalRole(string Municipality, string Id, string Site, IReadOnlyList<string> Services, string Name)
{
    public TerminalRole(string municipality, string id, string site, string service, string name)
        : this(municipality, id, site, [service], name)
    {
    }

    public string TerminalId => $"{Municipality}-{Id}";
}

public sealed record StaffMember(string Municipality, string Id, string Role, string Card);

public sealed record Resident(string Municipality, string Card, IReadOnlyList<string> Services);
