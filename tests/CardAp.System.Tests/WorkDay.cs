namespace CardAp.SystemTests;

/// <summary>
/// Ordinary work at the three terminals, one round at a time: loans and a return at the library, evacuees
/// checking in and out of the shelter, a loan, points and a seal certificate at the branch counter. A
/// terminal the test has cut off keeps working; the seal certificate (online only) is refused there.
/// Every other round goes the other way round the terminals, so the cards already in the readers serve
/// first (a card change in vpcd's readers costs pcscd's polling, most of a second).
/// </summary>
internal sealed class WorkDay(SystemWorld world)
{
    private readonly Queue<string> _loans = new();
    private readonly HashSet<string> _inShelter = new(StringComparer.Ordinal);
    private int _rounds;

    /// <summary>Transactions one round records at the library, the shelter and the counter (the counter one fewer while cut off).</summary>
    public const int PerTerminal = 3;

    /// <summary>One round at every terminal; <paramref name="tag"/> makes its book numbers unique.</summary>
    public async Task RoundAsync(string tag)
    {
        var forward = _rounds++ % 2 == 0;
        Func<Task>[] steps = [() => LibraryAsync(tag), () => ShelterAsync(forward), () => CounterAsync(tag)];
        foreach (var step in forward ? steps : steps.Reverse())
        {
            await step();
        }
        world.Note($"round {tag} done");
    }

    /// <summary>A regular borrows two books and returns the oldest one on loan.</summary>
    private async Task LibraryAsync(string tag)
    {
        var regular = world.Resident("C-1001");
        for (var book = 1; book <= 2; book++)
        {
            var item = $"B-{tag}-{book}";
            await world.DoAsync(world.Library, regular, "library", "checkout", ("item", item));
            _loans.Enqueue(item);
        }
        await world.DoAsync(world.Library, regular, "library", "return", ("item", _loans.Dequeue()));
    }

    /// <summary>The regular checks in (or, when in, out); a family arrives and leaves again.</summary>
    private async Task ShelterAsync(bool regularFirst)
    {
        if (regularFirst)
        {
            await RegularAsync();
        }
        var family = world.Resident("C-1003");
        await world.DoAsync(world.Shelter, family, "shelter", "checkin", ("shelter", SystemWorld.ShelterId), ("household", "2"));
        await world.DoAsync(world.Shelter, family, "shelter", "checkout", ("shelter", SystemWorld.ShelterId));
        if (!regularFirst)
        {
            await RegularAsync();
        }

        async Task RegularAsync()
        {
            var regular = world.Resident("C-1001");
            if (_inShelter.Remove(regular.CardNumber))
            {
                await world.DoAsync(world.Shelter, regular, "shelter", "checkout", ("shelter", SystemWorld.ShelterId));
            }
            else
            {
                await world.DoAsync(world.Shelter, regular, "shelter", "checkin", ("shelter", SystemWorld.ShelterId));
                _inShelter.Add(regular.CardNumber);
            }
        }
    }

    /// <summary>A loan, points and a seal certificate for one resident at the branch counter.</summary>
    private async Task CounterAsync(string tag)
    {
        var counter = world.Counter;
        var resident = world.Resident("S-2001");
        await world.DoAsync(counter, resident, "library", "checkout", ("item", $"B-{tag}-S"));
        await world.DoAsync(counter, resident, "points", "accrue", ("points", "30"), ("reason", "volunteer"));
        if (counter.CutOff)
        {
            await world.RefusedAsync(counter, resident, "OnlineOnly", "seal", "request-certificate", ("copies", "1"));
        }
        else
        {
            await world.DoAsync(counter, resident, "seal", "request-certificate", ("copies", "1"));
        }
    }
}
