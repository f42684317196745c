using CardAp.Shared.Audit;
using CardAp.Sync.Contracts;
using CardAp.Sync.Hub;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace CardAp.Hub.Tests.Sync;

/// <summary>Records as an edge would push them, and audit chains hashed the way the edge hashes them.</summary>
internal static class SyncRecords
{
    public static readonly TimeSpan Japan = TimeSpan.FromHours(9);

    /// <summary>
    /// 10:00 in Japan three days ago: recent enough for retention and the hub's plausibility window
    /// (a record from after the hub's clock is impossible), whenever the tests run.
    /// </summary>
    public static readonly DateTimeOffset Morning =
        new(DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(Japan).DateTime.AddDays(-3)).ToDateTime(new TimeOnly(10, 0)), Japan);

    /// <summary>The Japan-time day of <see cref="Morning"/>, as reports and usage records use it.</summary>
    public static DateOnly Day => DateOnly.FromDateTime(Morning.DateTime);

    public static TransactionRecord Transaction(long seq, string service = "library", string operation = "borrow",
        bool training = false, bool offline = false, DateTimeOffset? at = null, string payload = """{"title":"坊っちゃん"}""") => new()
    {
        Seq = seq,
        Id = $"req-{seq}",
        OccurredAt = Timestamp.FromDateTimeOffset(at ?? Morning.AddMinutes(seq)),
        Service = service,
        Operation = operation,
        CardRef = "C-0001",
        Member = "M-1",
        Operator = "op-1",
        Item = "book-" + seq,
        Training = training,
        Offline = offline,
        PayloadJson = payload,
    };

    public static IEnumerable<TransactionRecord> Transactions(long from, long to) =>
        Enumerable.Range((int)from, (int)(to - from + 1)).Select(seq => Transaction(seq));

    public static TelemetryRecord Telemetry(long seq, double value = 1.5) => new()
    {
        Seq = seq,
        OccurredAt = Timestamp.FromDateTimeOffset(Morning.AddMinutes(seq)),
        Name = "reader.latency-ms",
        Value = value,
        DetailJson = """{"reader":"R1"}""",
    };

    public static PushRequest Push(IEnumerable<TransactionRecord> records)
    {
        var request = new PushRequest { Stream = SyncStreams.Transactions };
        request.Transactions.AddRange(records);
        return request;
    }

    public static PushRequest Push(IEnumerable<AuditRecord> entries)
    {
        var request = new PushRequest { Stream = SyncStreams.Audit };
        request.Audit.AddRange(entries);
        return request;
    }

    public static PushRequest Push(IEnumerable<TelemetryRecord> records)
    {
        var request = new PushRequest { Stream = SyncStreams.Telemetry };
        request.Telemetry.AddRange(records);
        return request;
    }

    /// <summary>An entry hashed as the edge hashes it, linked to <paramref name="prevHash"/>.</summary>
    public static AuditRecord Audit(long seq, ReadOnlySpan<byte> prevHash, string action, string outcome, string detail,
        string? @operator = "op-1", string? subject = null, string? localTime = null)
    {
        var time = localTime ?? Morning.AddMinutes(seq).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var entry = new AuditRecord
        {
            Seq = seq,
            LocalTime = time,
            Action = action,
            Outcome = outcome,
            Operator = @operator ?? string.Empty,
            HasOperator = @operator is not null,
            Subject = subject ?? string.Empty,
            HasSubject = subject is not null,
            DetailJson = detail,
            PrevHash = ByteString.CopyFrom(prevHash),
        };
        entry.Hash = ByteString.CopyFrom(AuditHash.Compute(seq, time, action, outcome, @operator, subject, detail, prevHash));
        return entry;
    }
}

/// <summary>A terminal's audit log being written: each entry linked to the one before, from the genesis hash.</summary>
internal sealed class AuditLogWriter
{
    private byte[] _last = AuditHash.Genesis;

    public long Seq { get; private set; }

    public AuditRecord Next(string action = "sign-in", string outcome = "ok", string detail = """{"reader":"R1"}""", string? localTime = null)
    {
        var entry = SyncRecords.Audit(++Seq, _last, action, outcome, detail, localTime: localTime);
        _last = entry.Hash.ToByteArray();
        return entry;
    }

    public List<AuditRecord> Next(int count) => Enumerable.Range(0, count).Select(_ => Next()).ToList();

    /// <summary>An entry refused by the service pipeline, as the edge audits it.</summary>
    public AuditRecord Refused(string service, string operation, string? reason, bool training = false) =>
        Next($"{service}.{operation}", "refused",
            reason is null
                ? $$"""{"service":"{{service}}","operation":"{{operation}}","training":{{(training ? "true" : "false")}}}"""
                : $$"""{"requestId":"r","service":"{{service}}","operation":"{{operation}}","training":{{(training ? "true" : "false")}},"reason":"{{reason}}","message":"x"}""");
}
