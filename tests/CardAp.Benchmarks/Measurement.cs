using System.Diagnostics;
using System.Globalization;

namespace CardAp.Benchmarks;

/// <summary>Latency percentiles of repeated runs of one operation.</summary>
internal sealed record Measurement(string Name, int Runs, double P50Ms, double P95Ms, double P99Ms, double MeanMs, int Apdus)
{
    public static Measurement Of(string name, int warmup, int runs, Func<int> operation)
    {
        for (var i = 0; i < warmup; i++)
        {
            operation();
        }
        var times = new double[runs];
        var apdus = 0;
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            apdus = operation();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return new Measurement(name, runs, Percentile(times, 0.50), Percentile(times, 0.95), Percentile(times, 0.99), times.Average(), apdus);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    public string ToRow() => string.Create(CultureInfo.InvariantCulture,
        $"| {Name} | {Runs} | {P50Ms:0.00} | {P95Ms:0.00} | {P99Ms:0.00} | {MeanMs:0.00} | {Apdus} |");
}
