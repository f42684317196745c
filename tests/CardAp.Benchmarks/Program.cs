using CardAp.Benchmarks;

// "--hub-only": just the hub report benchmark, printed (no PC/SC needed).
if (args.Contains("--hub-only"))
{
    foreach (var row in await HubReportBenchmark.RunAsync(Environment.GetEnvironmentVariable("CARDAP_POSTGRES")))
    {
        Console.WriteLine(row);
    }
    return 0;
}
// "--sync-only": just the sync catch-up benchmark (no PC/SC needed); with "--output <file>" its
// section of that file is replaced (or appended), the rest is left as it is. "--sync-records N"
// and "--sync-rows N" shrink it for a quick try; the targets are for 100,000 each. CARDAP_BENCH_TRACE=1
// also prints the edge's RSS and sync phase while it downloads, and the hub's snapshot page times.
if (args.Contains("--sync-only"))
{
    var section = await SyncCatchUpBenchmark.RunAsync(Environment.GetEnvironmentVariable("CARDAP_POSTGRES"),
        Option(args, "--sync-records") ?? 100_000, Option(args, "--sync-rows") ?? 100_000);
    foreach (var line in section)
    {
        Console.WriteLine(line);
    }
    if (args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() is { } output)
    {
        SyncCatchUpBenchmark.WriteSection(output, section);
        Console.WriteLine($"Written to {output}");
    }
    return 0;
}
// "--load-only": just the load run (no PC/SC needed), N terminals pushing to one hub process on
// PostgreSQL; with "--output <file>" its section of that file is replaced (or appended).
// "--load-terminals 10,100,1000", "--load-records N" (transactions a round, all terminals together),
// "--load-rounds N" and "--load-largest-rounds N" (rounds of the largest level) change the plan.
if (args.Contains("--load-only"))
{
    var section = await LoadBenchmark.RunAsync(Environment.GetEnvironmentVariable("CARDAP_POSTGRES"), LoadPlanOf(args));
    foreach (var line in section)
    {
        Console.WriteLine(line);
    }
    if (args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() is { } output)
    {
        LoadBenchmark.WriteSection(output, section);
        Console.WriteLine($"Written to {output}");
    }
    return 0;
}
return await IdentificationBenchmark.RunAsync(args);

static LoadPlan LoadPlanOf(string[] args)
{
    var defaults = LoadPlan.Default;
    var terminals = args.SkipWhile(a => a != "--load-terminals").Skip(1).FirstOrDefault() is { } list
        ? list.Split(',').Select(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToList()
        : defaults.Terminals;
    return new LoadPlan(terminals, Option(args, "--load-records") ?? defaults.TransactionsPerRound, Option(args, "--load-rounds") ?? defaults.Rounds,
        Option(args, "--load-largest-rounds") ?? defaults.LargestLevelRounds);
}

static int? Option(string[] args, string name) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
