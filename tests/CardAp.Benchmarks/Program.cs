using CardAp.Benchmarks;

return await IdentificationBenchmark.RunAsync(args);
