namespace CardAp.Shared.Hours;

/// <summary>Why a service is closed at an instant.</summary>
public enum ClosedReason
{
    /// <summary>
    /// The day follows the weekly hours but the instant is outside its opening intervals; the messages say
    /// "no service on Mondays" / "定休日" when the weekday has no intervals at all.
    /// </summary>
    OutsideHours,

    /// <summary>The day is a national holiday, substitute holiday or citizens' holiday and the service closes on holidays.</summary>
    NationalHoliday,

    /// <summary>The day is one of the service's local closure dates (e.g. 年末年始).</summary>
    LocalClosure,
}

/// <summary>
/// Whether a service is open at an instant: either <see cref="Open"/> or <see cref="Closed"/>, each with messages
/// for clerks and residents in English and Japanese.
/// </summary>
/// <param name="At">The evaluated instant, in Japan time (+09:00).</param>
/// <param name="MessageEn">A sentence in English, e.g. "The library is closed (outside service hours). It opens on Wed 2026-11-04 at 09:00."</param>
/// <param name="MessageJa">The same in Japanese, e.g. "図書館は休業中です(サービス時間外)。次の開始は2026年11月4日(水) 9:00です。"</param>
public abstract record ServiceHoursStatus(DateTimeOffset At, string MessageEn, string MessageJa)
{
    /// <summary>Whether the service is open.</summary>
    public bool IsOpen => this is Open;

    /// <summary>The service is open.</summary>
    /// <param name="ClosesAt">When the current opening ends (+09:00), or null if it does not end within the search horizon (always open).</param>
    public sealed record Open(DateTimeOffset At, DateTimeOffset? ClosesAt, string MessageEn, string MessageJa)
        : ServiceHoursStatus(At, MessageEn, MessageJa);

    /// <summary>The service is closed.</summary>
    /// <param name="Reason">Why it is closed.</param>
    /// <param name="Holiday">The holiday, when <paramref name="Reason"/> is <see cref="ClosedReason.NationalHoliday"/>.</param>
    /// <param name="Closure">The local closure, when <paramref name="Reason"/> is <see cref="ClosedReason.LocalClosure"/>.</param>
    /// <param name="NextOpening">When it next opens (+09:00), or null if it does not open within the search horizon.</param>
    public sealed record Closed(
        DateTimeOffset At,
        ClosedReason Reason,
        Holiday? Holiday,
        LocalClosure? Closure,
        DateTimeOffset? NextOpening,
        string MessageEn,
        string MessageJa)
        : ServiceHoursStatus(At, MessageEn, MessageJa);
}
