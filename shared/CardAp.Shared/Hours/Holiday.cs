using System.Globalization;

namespace CardAp.Shared.Hours;

/// <summary>How a day became a day off under the national holiday law (国民の祝日に関する法律).</summary>
public enum HolidayKind
{
    /// <summary>A national holiday (国民の祝日), including the one-off days set by special laws.</summary>
    National,

    /// <summary>A substitute holiday (振替休日) for a national holiday that fell on a Sunday.</summary>
    Substitute,

    /// <summary>A citizens' holiday (国民の休日): a day sandwiched between two national holidays.</summary>
    Citizens,
}

/// <summary>A Japanese holiday: its date, its Japanese and English names, and what made it a holiday.</summary>
public sealed record Holiday(DateOnly Date, string NameJa, string NameEn, HolidayKind Kind = HolidayKind.National)
{
    /// <summary>The date and both names, e.g. "2026-11-03 文化の日 Culture Day".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Date:yyyy-MM-dd} {NameJa} {NameEn}");
}
