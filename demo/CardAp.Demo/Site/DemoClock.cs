namespace CardAp.Demo.Site;

/// <summary>
/// The demo's wall clock: real time shifted so that the scripted day starts at a chosen local time,
/// and moved forward between the day's scenes. Timers stay real (the base class's), so timeouts,
/// retries and sync intervals behave as on a real site; only the hour the records carry moves.
/// The hub and every terminal share it, so no clock skew shows in the fleet view.
/// </summary>
public sealed class DemoClock(DateTimeOffset start) : TimeProvider
{
    private long _offsetTicks = (start - System.GetUtcNow()).Ticks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the clock forward to <paramref name="at"/>; a time already passed leaves it where it is.</summary>
    public void AdvanceTo(DateTimeOffset at)
    {
        var gap = at - GetUtcNow();
        if (gap > TimeSpan.Zero)
        {
            Interlocked.Add(ref _offsetTicks, gap.Ticks);
        }
    }
}
