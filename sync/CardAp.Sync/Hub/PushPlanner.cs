using CardAp.Shared.Audit;
using CardAp.Sync.Contracts;
using Google.Protobuf;

namespace CardAp.Sync.Hub;

/// <summary>What the hub holds of one stream of one terminal: 1 to <see cref="Through"/>, and for the audit stream the hash of entry Through.</summary>
public sealed record StreamHead(long Through, byte[]? LastHash)
{
    public static StreamHead Empty { get; } = new(0, null);
}

/// <summary>One record of a batch the hub did not hold yet; <see cref="QuarantineReason"/> when it cannot be used.</summary>
public sealed record NewRecord(long Seq, IMessage Record, string? QuarantineReason);

/// <summary>What to do with a batch, given what the hub holds.</summary>
public abstract record PushDecision
{
    private PushDecision()
    {
    }

    /// <summary>The batch starts after <see cref="Through"/> + 1: storing it would leave a gap (FAILED_PRECONDITION StreamGap).</summary>
    public sealed record Gap(long Through, long FirstSeq) : PushDecision;

    /// <summary>The audit chain breaks (FAILED_PRECONDITION AuditChainBroken; written to the hub audit).</summary>
    public sealed record ChainBroken(long Through, AuditChainBreak Break) : PushDecision;

    /// <summary>Store <see cref="NewRecords"/> (quarantined ones in the quarantine); <see cref="Duplicates"/> were held already.</summary>
    public sealed record Accept(int Duplicates, IReadOnlyList<NewRecord> NewRecords, long Through, byte[]? LastHash) : PushDecision;
}

/// <summary>
/// Decides a Push against the stream's head: duplicates (sequences the hub holds) are skipped, a
/// batch starting beyond head + 1 is a gap, audit entries must continue the held chain (and a
/// repeated entry must be the one held), and each new record is checked for quarantine.
/// </summary>
public static class PushPlanner
{
    /// <param name="request">A batch that passed <see cref="PushBatch.CheckShape"/>.</param>
    /// <param name="head">What the hub holds of this stream.</param>
    /// <param name="heldAuditHashes">For the audit stream: the hashes the hub holds of the batch's repeated sequences.</param>
    /// <param name="context">The hub's clock and known services.</param>
    /// <exception cref="ArgumentException">The batch is not well-formed (see <see cref="PushBatch.CheckShape"/>).</exception>
    public static PushDecision Plan(PushRequest request, StreamHead head, IReadOnlyDictionary<long, byte[]> heldAuditHashes, RecordContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(heldAuditHashes);
        ArgumentNullException.ThrowIfNull(context);
        if (PushBatch.CheckShape(request) is { } problem)
        {
            throw new ArgumentException($"{problem.Field}: {problem.MessageEn}", nameof(request));
        }
        var seqs = PushBatch.Sequences(request);
        if (seqs.Count == 0)
        {
            return new PushDecision.Accept(0, [], head.Through, head.LastHash);
        }
        if (seqs[0] > head.Through + 1)
        {
            return new PushDecision.Gap(head.Through, seqs[0]);
        }
        var duplicates = seqs.Count(s => s <= head.Through);
        var lastHash = head.LastHash;
        if (request.Stream == SyncStreams.Audit)
        {
            foreach (var held in request.Audit.Take(duplicates))
            {
                if (heldAuditHashes.TryGetValue(held.Seq, out var hash) && !held.Hash.Span.SequenceEqual(hash))
                {
                    return new PushDecision.ChainBroken(head.Through, AuditChain.Fork(held.Seq));
                }
            }
            var fresh = request.Audit.Skip(duplicates).ToList();
            if (fresh.Count > 0)
            {
                var previous = head.Through == 0 ? AuditHash.Genesis
                    : head.LastHash ?? throw new InvalidOperationException($"The hub holds audit entries 1 to {head.Through} but not the last one's hash.");
                if (AuditChain.FirstBreak(fresh, previous) is { } broken)
                {
                    return new PushDecision.ChainBroken(head.Through, broken);
                }
                lastHash = fresh[^1].Hash.ToByteArray();
            }
        }
        var records = PushBatch.Records(request);
        var added = new List<NewRecord>(records.Count - duplicates);
        for (var i = duplicates; i < records.Count; i++)
        {
            var reason = records[i] switch
            {
                TransactionRecord transaction => RecordChecks.Transaction(transaction, context),
                AuditRecord entry => RecordChecks.Audit(entry, context),
                TelemetryRecord telemetry => RecordChecks.Telemetry(telemetry, context),
                _ => throw new InvalidOperationException($"Unexpected record type {records[i].GetType()}."),
            };
            added.Add(new NewRecord(seqs[i], records[i], reason));
        }
        return new PushDecision.Accept(duplicates, added, Math.Max(head.Through, seqs[^1]), lastHash);
    }
}
