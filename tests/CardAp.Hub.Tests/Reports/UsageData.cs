using CardAp.Hub.Reports;
using CardAp.Hub.Store.Records;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Tests.Reports;

/// <summary>Generated usage records (seeded, so a failure reproduces) and their figures by LINQ.</summary>
public static class UsageData
{
    private static readonly string[] Services = ["library", "shelter", "points", "seal", "checkup"];
    private static readonly string[] Reasons = ["CardSuspended", "OutsideHours", "NotRegistered", "PinWrong"];

    /// <summary>
    /// <paramref name="count"/> records over <paramref name="days"/> days from <paramref name="first"/>, Japan time,
    /// spread over 6 terminals at 3 sites; about 1 in 10 refused, 1 in 5 offline, 1 in 20 training.
    /// </summary>
    public static IReadOnlyList<UsageRecord> Generate(MunicipalityCode municipality, DateOnly first, int days, int count, int seed)
    {
        var random = new Random(seed);
        var seqs = new Dictionary<string, long>();
        var records = new List<UsageRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var terminalNumber = random.Next(6);
            var terminal = $"{municipality.Value}-T{terminalNumber + 1:000}";
            var seq = seqs[terminal] = seqs.GetValueOrDefault(terminal) + 1;
            var refused = random.Next(10) == 0;
            var local = first.ToDateTime(TimeOnly.MinValue).AddDays(random.Next(days)).AddMinutes(random.Next(24 * 60));
            records.Add(new UsageRecord(
                municipality,
                terminal,
                "transactions",
                seq,
                $"site-{terminalNumber % 3}",
                new DateTimeOffset(local, TimeSpan.FromHours(9)),
                Services[random.Next(Services.Length)],
                "use",
                refused ? UsageOutcome.Refused : UsageOutcome.Done,
                refused ? Reasons[random.Next(Reasons.Length)] : null,
                Offline: random.Next(5) == 0,
                Training: random.Next(20) == 0));
        }
        return records;
    }

    public static string Day(UsageRecord record) => UsageRecords.DayText(UsageRecords.LocalDay(record.OccurredAt));

    public static UsageFigures Figures(IEnumerable<UsageRecord> records)
    {
        var list = records.ToList();
        return new UsageFigures(
            list.Count(r => r.Outcome == UsageOutcome.Done),
            list.Count(r => r.Outcome == UsageOutcome.Done && r.Offline),
            list.Count(r => r.Outcome == UsageOutcome.Refused));
    }
}
