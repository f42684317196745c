namespace CardAp.Testing;

/// <summary>What a <see cref="FaultProxy"/> does with traffic: one of the kinds below.</summary>
public enum FaultKind
{
    /// <summary>Forward every byte as it comes.</summary>
    Pass,

    /// <summary>Accept new connections and close them at once; connections already open keep forwarding.</summary>
    Refuse,

    /// <summary>Forward nothing (not even an end of stream) and keep every connection open.</summary>
    Stall,

    /// <summary>Forward until a connection's random byte budget is spent, then reset it.</summary>
    CutRandomly,
}

/// <summary>Directions of a proxied connection, as seen from the client that connected to the proxy.</summary>
[Flags]
public enum FaultDirections
{
    None = 0,

    /// <summary>Bytes the client sends to the target (an edge's push to the hub).</summary>
    ClientToTarget = 1,

    /// <summary>Bytes the target sends back to the client (a pull from the hub).</summary>
    TargetToClient = 2,

    Both = ClientToTarget | TargetToClient,
}

/// <summary>Why a <see cref="FaultProxy"/> cut a connection.</summary>
public enum FaultCutCause
{
    /// <summary>A <see cref="FaultKind.CutRandomly"/> budget ran out in <see cref="FaultCut.Direction"/>.</summary>
    Budget,

    /// <summary>The test called <see cref="FaultProxy.CutAll"/>.</summary>
    CutAll,
}

/// <summary>
/// A plan for a <see cref="FaultProxy"/>, meant to read well in a test:
/// <c>proxy.Mode = FaultMode.CutRandomly(minBytes: 1, maxBytes: 16_384)</c>. Instances are immutable; the
/// proxy applies a new one to every connection, open or new, the moment it is assigned.
/// </summary>
public sealed class FaultMode
{
    private FaultMode(FaultKind kind, bool reset = true, long minBytes = 0, long maxBytes = 0,
        FaultDirections directions = FaultDirections.None, TimeSpan? stallDuration = null, FaultMode? then = null)
    {
        Kind = kind;
        Reset = reset;
        MinBytes = minBytes;
        MaxBytes = maxBytes;
        Directions = directions;
        StallDuration = stallDuration;
        Then = then;
    }

    /// <summary>Forward everything untouched.</summary>
    public static FaultMode Pass { get; } = new(FaultKind.Pass);

    /// <summary>
    /// Accept each new connection and reset it (RST) before a byte is read: the client's connect succeeds and
    /// its first read or write fails with "connection reset". The target never sees the connection.
    /// Connections already open keep forwarding; call <see cref="FaultProxy.CutAll"/> to drop them too.
    /// </summary>
    public static FaultMode Refuse { get; } = new(FaultKind.Refuse);

    /// <summary>
    /// As <see cref="Refuse"/>, but with an orderly close (FIN): the client reads end of stream. The kernel still
    /// sends a reset instead if the client's first bytes had arrived before the close.
    /// </summary>
    public static FaultMode RefuseGracefully { get; } = new(FaultKind.Refuse, reset: false);

    /// <summary>
    /// Stop forwarding in both directions on every connection, and on connections accepted meanwhile, until the
    /// test assigns another mode. Nothing is closed: bytes already read are held and delivered on release, the
    /// rest back up in the kernel's buffers, as on a network that silently drops packets.
    /// </summary>
    public static FaultMode Stall { get; } = new(FaultKind.Stall);

    /// <summary>
    /// <see cref="Stall"/> for <paramref name="duration"/>, after which the proxy switches itself to
    /// <paramref name="then"/> (<see cref="Pass"/> by default), unless the test assigned another mode first.
    /// </summary>
    public static FaultMode StallFor(TimeSpan duration, FaultMode? then = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        return new(FaultKind.Stall, stallDuration: duration, then: then ?? Pass);
    }

    /// <summary>
    /// Give each connection, in each of <paramref name="directions"/>, a byte budget drawn uniformly from
    /// [<paramref name="minBytes"/>, <paramref name="maxBytes"/>] with the proxy's seeded random. The proxy
    /// forwards exactly that many bytes (splitting a read if needed, so the cut falls at an arbitrary offset
    /// inside a frame or record) and then resets both sides. See <see cref="FaultProxy"/> for the whole model.
    /// </summary>
    public static FaultMode CutRandomly(long minBytes, long maxBytes, FaultDirections directions = FaultDirections.Both)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, minBytes);
        ArgumentOutOfRangeException.ThrowIfEqual(maxBytes, long.MaxValue);
        if (directions == FaultDirections.None || (directions & ~FaultDirections.Both) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(directions), directions, "Choose one or both directions.");
        }
        return new(FaultKind.CutRandomly, minBytes: minBytes, maxBytes: maxBytes, directions: directions);
    }

    public FaultKind Kind { get; }

    /// <summary><see cref="FaultKind.Refuse"/>: reset (RST) rather than an orderly close (FIN).</summary>
    public bool Reset { get; }

    /// <summary><see cref="FaultKind.CutRandomly"/>: the smallest budget, inclusive.</summary>
    public long MinBytes { get; }

    /// <summary><see cref="FaultKind.CutRandomly"/>: the largest budget, inclusive.</summary>
    public long MaxBytes { get; }

    /// <summary><see cref="FaultKind.CutRandomly"/>: the directions that get a budget; the others flow freely.</summary>
    public FaultDirections Directions { get; }

    /// <summary><see cref="FaultKind.Stall"/>: how long the stall lasts; null until the test assigns another mode.</summary>
    public TimeSpan? StallDuration { get; }

    /// <summary><see cref="FaultKind.Stall"/> with a duration: the mode that follows it.</summary>
    public FaultMode? Then { get; }

    public override string ToString() => Kind switch
    {
        FaultKind.Refuse => Reset ? "Refuse" : "RefuseGracefully",
        FaultKind.Stall when StallDuration is { } d => $"StallFor({d.TotalMilliseconds:0} ms, then {Then})",
        FaultKind.CutRandomly => $"CutRandomly({MinBytes}..{MaxBytes} bytes, {Directions})",
        _ => Kind.ToString(),
    };
}

/// <summary>One connection a <see cref="FaultProxy"/> cut, with what had been forwarded until then.</summary>
/// <param name="ConnectionId">1 for the first connection the proxy accepted, and so on.</param>
/// <param name="Direction">The direction whose budget ran out; <see cref="FaultDirections.None"/> for <see cref="FaultCutCause.CutAll"/>.</param>
/// <param name="Budget">The budget that ran out; null for <see cref="FaultCutCause.CutAll"/>.</param>
/// <param name="BytesClientToTarget">Bytes the proxy had handed to the target's socket on this connection.</param>
/// <param name="BytesTargetToClient">Bytes the proxy had handed to the client's socket on this connection.</param>
public sealed record FaultCut(
    long ConnectionId,
    FaultCutCause Cause,
    FaultDirections Direction,
    long? Budget,
    long BytesClientToTarget,
    long BytesTargetToClient);

/// <summary>A consistent-enough snapshot of a <see cref="FaultProxy"/>'s counters (each is read atomically).</summary>
/// <param name="ConnectionsAccepted">Every connection accepted, refused ones included.</param>
/// <param name="ConnectionsRefused">Connections closed at once under <see cref="FaultKind.Refuse"/>.</param>
/// <param name="ConnectionsCut">Connections the proxy reset: budgets spent and <see cref="FaultProxy.CutAll"/>.</param>
/// <param name="UpstreamFailures">Connections reset because the proxy could not connect to the target.</param>
/// <param name="OpenConnections">Connections being forwarded now.</param>
/// <param name="BytesClientToTarget">Bytes handed to target sockets, all connections.</param>
/// <param name="BytesTargetToClient">Bytes handed to client sockets, all connections.</param>
public readonly record struct FaultProxyCounters(
    long ConnectionsAccepted,
    long ConnectionsRefused,
    long ConnectionsCut,
    long UpstreamFailures,
    int OpenConnections,
    long BytesClientToTarget,
    long BytesTargetToClient);
