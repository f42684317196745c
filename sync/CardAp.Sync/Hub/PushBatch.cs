using CardAp.Sync.Contracts;
using Google.Protobuf;

namespace CardAp.Sync.Hub;

/// <summary>A request that breaks the protocol itself (INVALID_ARGUMENT): which field, and why, in English and Japanese.</summary>
public sealed record BatchProblem(string Field, string MessageEn, string MessageJa);

/// <summary>
/// The shape of a Push: one known stream, records only in that stream's list, at most
/// <see cref="SyncLimits.MaxBatch"/> of them, with consecutive sequence numbers from 1 up. Where the
/// batch starts relative to what the hub holds is <see cref="PushPlanner"/>'s business.
/// </summary>
public static class PushBatch
{
    /// <summary>The first problem of the request's shape, or null when it is well-formed.</summary>
    public static BatchProblem? CheckShape(PushRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!SyncStreams.IsKnown(request.Stream))
        {
            return new BatchProblem("stream",
                $"'{request.Stream}' is not a stream; one of: {string.Join(", ", SyncStreams.All)}.",
                $"'{request.Stream}'というストリームはありません。指定できる値: {string.Join(", ", SyncStreams.All)}");
        }
        foreach (var (field, count) in new[] { (SyncStreams.Transactions, request.Transactions.Count), (SyncStreams.Audit, request.Audit.Count), (SyncStreams.Telemetry, request.Telemetry.Count) })
        {
            if (field != request.Stream && count > 0)
            {
                return new BatchProblem(field,
                    $"holds {count} record(s), but the batch is of stream '{request.Stream}'; one batch carries one stream.",
                    $"ストリーム'{request.Stream}'のバッチに別ストリームのレコードが{count}件含まれています。1回の送信は1つのストリームのみです。");
            }
        }
        var seqs = Sequences(request);
        if (seqs.Count > SyncLimits.MaxBatch)
        {
            return new BatchProblem(request.Stream,
                $"holds {seqs.Count} records; a batch holds at most {SyncLimits.MaxBatch}.",
                $"レコードが{seqs.Count}件あります。1回の送信は{SyncLimits.MaxBatch}件までです。");
        }
        for (var i = 0; i < seqs.Count; i++)
        {
            if (seqs[i] < 1)
            {
                return new BatchProblem(request.Stream + ".seq",
                    $"record {i + 1} has sequence {seqs[i]}; sequences start at 1.",
                    $"{i + 1}件目のレコードの連番が{seqs[i]}です。連番は1から始まります。");
            }
            // A hole inside one batch cannot be mended by resending from the hub's position, so it is
            // a broken client (INVALID_ARGUMENT), not the StreamGap the edge recovers from.
            if (i > 0 && seqs[i] != seqs[i - 1] + 1)
            {
                return new BatchProblem(request.Stream + ".seq",
                    $"record {i + 1} has sequence {seqs[i]} after {seqs[i - 1]}; a batch is consecutive, in sequence order.",
                    $"{i + 1}件目のレコードの連番{seqs[i]}が直前の{seqs[i - 1]}に続いていません。バッチは連番順に隙間なく並べてください。");
            }
        }
        return null;
    }

    /// <summary>The sequence numbers of the records of the request's stream, in request order.</summary>
    public static IReadOnlyList<long> Sequences(PushRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Stream switch
        {
            SyncStreams.Transactions => request.Transactions.Select(r => r.Seq).ToList(),
            SyncStreams.Audit => request.Audit.Select(r => r.Seq).ToList(),
            SyncStreams.Telemetry => request.Telemetry.Select(r => r.Seq).ToList(),
            _ => [],
        };
    }

    /// <summary>The records of the request's stream, in request order.</summary>
    public static IReadOnlyList<IMessage> Records(PushRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Stream switch
        {
            SyncStreams.Transactions => request.Transactions.Cast<IMessage>().ToList(),
            SyncStreams.Audit => request.Audit.Cast<IMessage>().ToList(),
            SyncStreams.Telemetry => request.Telemetry.Cast<IMessage>().ToList(),
            _ => [],
        };
    }
}
