using CardAp.Shared.Domain;

namespace CardAp.Hub.Import;

/// <summary>A resident's registration in one service, as the resident information system exports it.</summary>
public sealed record RegistrationRow(
    CardNumber Card,
    ServiceId Service,
    MemberNumber Member,
    RegistrationStatus Status,
    DateOnly RegisteredOn,
    string Name)
{
    /// <summary>One registration per card and service.</summary>
    public (CardNumber Card, ServiceId Service) Key => (Card, Service);
}

public enum RegistrationStatus
{
    Active,
    Stopped,
}

/// <summary>A row the import refused, with the line it is on and why (English and Japanese), for the clerk to fix in the source system.</summary>
public sealed record BadRow(int Line, string Problem, string ProblemJa);
