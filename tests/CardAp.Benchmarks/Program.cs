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
return await IdentificationBenchmark.RunAsync(args);
