namespace CardAp.Sync.Edge;

/// <summary>
/// Exponential backoff with full jitter: after the n-th failure in a row, wait a uniformly random
/// time between zero and min(max, base * 2^(n-1)). The randomness spreads the fleet out, so a
/// thousand terminals that lost the hub together do not all come back in the same second.
/// </summary>
public static class SyncBackoff
{
    /// <summary>The upper bound of the wait after <paramref name="failures"/> failures in a row.</summary>
    public static TimeSpan Ceiling(int failures, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(failures);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(baseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, baseDelay);
        // 2^30 times any sensible base is past every max; stop doubling there instead of overflowing.
        var exponent = Math.Min(failures - 1, 30);
        var ticks = baseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The wait after <paramref name="failures"/> failures in a row: uniform in [0, <see cref="Ceiling"/>].</summary>
    public static TimeSpan Delay(int failures, TimeSpan baseDelay, TimeSpan maxDelay, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ceiling = Ceiling(failures, baseDelay, maxDelay);
        return TimeSpan.FromTicks((long)(ceiling.Ticks * random.NextDouble()));
    }
}
