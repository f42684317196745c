using CardAp.Shared.Audit;
using CardAp.Shared.Domain;
using CardAp.Sync;
using CardAp.Sync.Contracts;
using CardAp.Sync.Hub;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace CardAp.Hub.Tests.Sync;

/// <summary>The protocol rules of CardAp.Sync.Hub without a database: batch shape, position, chain, quarantine.</summary>
public sealed class PushPlannerTests
{
    private static readonly RecordContext Context = new(SyncRecords.Morning.AddDays(1), s => s is "library" or "points" or "kenshin");

    private static readonly IReadOnlyDictionary<long, byte[]> NoneHeld = new Dictionary<long, byte[]>();

    [Fact]
    public void A_well_formed_batch_has_no_shape_problem()
    {
        Assert.Null(PushBatch.CheckShape(SyncRecords.Push(SyncRecords.Transactions(4, 9))));
        Assert.Null(PushBatch.CheckShape(new PushRequest { Stream = SyncStreams.Audit }));
    }

    [Theory]
    [InlineData("", "stream")]
    [InlineData("Transactions", "stream")]
    [InlineData("logs", "stream")]
    public void An_unknown_stream_is_named(string stream, string field)
    {
        var request = SyncRecords.Push(SyncRecords.Transactions(1, 2));
        request.Stream = stream;
        var problem = PushBatch.CheckShape(request);
        Assert.NotNull(problem);
        Assert.Equal(field, problem.Field);
        Assert.Contains("transactions, audit, telemetry", problem.MessageEn, StringComparison.Ordinal);
        Assert.NotEmpty(problem.MessageJa);
    }

    [Fact]
    public void Records_of_another_stream_in_the_batch_are_refused_naming_that_list()
    {
        var request = SyncRecords.Push(SyncRecords.Transactions(1, 2));
        request.Telemetry.Add(SyncRecords.Telemetry(1));
        Assert.Equal("telemetry", PushBatch.CheckShape(request)?.Field);
    }

    [Fact]
    public void A_batch_out_of_order_with_a_hole_or_from_zero_is_refused()
    {
        Assert.Equal("transactions.seq", PushBatch.CheckShape(SyncRecords.Push([SyncRecords.Transaction(2), SyncRecords.Transaction(1)]))?.Field);
        Assert.Equal("transactions.seq", PushBatch.CheckShape(SyncRecords.Push([SyncRecords.Transaction(1), SyncRecords.Transaction(3)]))?.Field);
        Assert.Equal("transactions.seq", PushBatch.CheckShape(SyncRecords.Push([SyncRecords.Transaction(1), SyncRecords.Transaction(1)]))?.Field);
        Assert.Equal("transactions.seq", PushBatch.CheckShape(SyncRecords.Push([SyncRecords.Transaction(0)]))?.Field);
    }

    [Fact]
    public void A_batch_over_the_limit_is_refused()
    {
        Assert.Null(PushBatch.CheckShape(SyncRecords.Push(SyncRecords.Transactions(1, SyncLimits.MaxBatch))));
        var problem = PushBatch.CheckShape(SyncRecords.Push(SyncRecords.Transactions(1, SyncLimits.MaxBatch + 1)));
        Assert.Equal("transactions", problem?.Field);
        Assert.Contains(SyncLimits.MaxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture), problem!.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void Records_the_hub_holds_are_duplicates_and_the_rest_is_new()
    {
        var decision = Assert.IsType<PushDecision.Accept>(
            PushPlanner.Plan(SyncRecords.Push(SyncRecords.Transactions(3, 8)), new StreamHead(5, null), NoneHeld, Context));
        Assert.Equal(3, decision.Duplicates);
        Assert.Equal([6L, 7L, 8L], decision.NewRecords.Select(r => r.Seq));
        Assert.All(decision.NewRecords, r => Assert.Null(r.QuarantineReason));
        Assert.Equal(8, decision.Through);
    }

    [Fact]
    public void A_batch_wholly_held_moves_nothing()
    {
        var decision = Assert.IsType<PushDecision.Accept>(
            PushPlanner.Plan(SyncRecords.Push(SyncRecords.Transactions(1, 4)), new StreamHead(9, null), NoneHeld, Context));
        Assert.Equal(4, decision.Duplicates);
        Assert.Empty(decision.NewRecords);
        Assert.Equal(9, decision.Through);
    }

    [Fact]
    public void A_batch_beyond_the_next_sequence_is_a_gap_naming_the_hubs_position()
    {
        var gap = Assert.IsType<PushDecision.Gap>(PushPlanner.Plan(SyncRecords.Push(SyncRecords.Transactions(7, 9)), new StreamHead(5, null), NoneHeld, Context));
        Assert.Equal((5L, 7L), (gap.Through, gap.FirstSeq));
        Assert.IsType<PushDecision.Accept>(PushPlanner.Plan(SyncRecords.Push(SyncRecords.Transactions(6, 9)), new StreamHead(5, null), NoneHeld, Context));
    }

    [Fact]
    public void An_audit_chain_from_genesis_and_continued_across_batches_is_accepted()
    {
        var log = new AuditLogWriter();
        var first = log.Next(3);
        var second = log.Next(2);
        var accepted = Assert.IsType<PushDecision.Accept>(PushPlanner.Plan(SyncRecords.Push(first), StreamHead.Empty, NoneHeld, Context));
        Assert.Equal(first[^1].Hash.ToByteArray(), accepted.LastHash);

        var next = Assert.IsType<PushDecision.Accept>(PushPlanner.Plan(SyncRecords.Push(second), new StreamHead(3, accepted.LastHash), NoneHeld, Context));
        Assert.Equal(2, next.NewRecords.Count);
        Assert.Equal(second[^1].Hash.ToByteArray(), next.LastHash);
    }

    [Fact]
    public void An_entry_not_linked_to_the_hash_the_hub_holds_breaks_the_chain()
    {
        var log = new AuditLogWriter();
        var held = log.Next(3);
        var other = SyncRecords.Audit(4, new byte[AuditHash.Size], "sign-out", "ok", "{}");
        var broken = Assert.IsType<PushDecision.ChainBroken>(
            PushPlanner.Plan(SyncRecords.Push([other]), new StreamHead(3, held[^1].Hash.ToByteArray()), NoneHeld, Context));
        Assert.Equal((4L, AuditChainFault.PrevHashMismatch, 3L), (broken.Break.Seq, broken.Break.Fault, broken.Through));
        Assert.Contains("entry 3", broken.Break.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void An_altered_entry_breaks_the_chain_where_it_was_altered()
    {
        var log = new AuditLogWriter();
        var entries = log.Next(4);
        entries[2].DetailJson = """{"reader":"R2"}""";
        var broken = Assert.IsType<PushDecision.ChainBroken>(PushPlanner.Plan(SyncRecords.Push(entries), StreamHead.Empty, NoneHeld, Context));
        Assert.Equal((3L, AuditChainFault.HashMismatch), (broken.Break.Seq, broken.Break.Fault));
    }

    [Fact]
    public void A_first_entry_not_from_genesis_and_a_short_hash_break_the_chain()
    {
        var notGenesis = SyncRecords.Audit(1, Enumerable.Repeat((byte)7, AuditHash.Size).ToArray(), "sign-in", "ok", "{}");
        Assert.Equal(AuditChainFault.PrevHashMismatch,
            Assert.IsType<PushDecision.ChainBroken>(PushPlanner.Plan(SyncRecords.Push([notGenesis]), StreamHead.Empty, NoneHeld, Context)).Break.Fault);

        var entry = new AuditLogWriter().Next();
        entry.Hash = ByteString.CopyFrom(entry.Hash.Span[..16]);
        Assert.Equal(AuditChainFault.MalformedHash,
            Assert.IsType<PushDecision.ChainBroken>(PushPlanner.Plan(SyncRecords.Push([entry]), StreamHead.Empty, NoneHeld, Context)).Break.Fault);
    }

    [Fact]
    public void A_held_entry_sent_again_with_another_hash_is_a_fork()
    {
        var log = new AuditLogWriter();
        var entries = log.Next(3);
        var held = entries.ToDictionary(e => e.Seq, e => e.Hash.ToByteArray());
        var rewritten = new AuditLogWriter();
        rewritten.Next();
        var forked = new List<AuditRecord> { entries[0], rewritten.Next("sign-out") };
        var broken = Assert.IsType<PushDecision.ChainBroken>(PushPlanner.Plan(SyncRecords.Push(forked), new StreamHead(3, held[3]), held, Context));
        Assert.Equal((2L, AuditChainFault.Forked), (broken.Break.Seq, broken.Break.Fault));

        // The same entries again are plain duplicates.
        var again = Assert.IsType<PushDecision.Accept>(PushPlanner.Plan(SyncRecords.Push(entries), new StreamHead(3, held[3]), held, Context));
        Assert.Equal(3, again.Duplicates);
    }

    [Fact]
    public void Unusable_transactions_get_a_quarantine_reason_each()
    {
        var records = new List<TransactionRecord>
        {
            SyncRecords.Transaction(1),
            SyncRecords.Transaction(2, service: "karaoke"),
            SyncRecords.Transaction(3, payload: "{not json"),
            SyncRecords.Transaction(4, payload: "[1,2]"),
            SyncRecords.Transaction(5, at: new DateTimeOffset(1999, 12, 31, 0, 0, 0, SyncRecords.Japan)),
            SyncRecords.Transaction(6, at: Context.Now.AddDays(2)),
            SyncRecords.Transaction(7, service: "kenshin"),
            SyncRecords.Transaction(8, operation: ""),
            SyncRecords.Transaction(9, service: "library!"),
        };
        records.Add(SyncRecords.Transaction(10));
        records[^1].OccurredAt = null;
        records.Add(SyncRecords.Transaction(11));
        records[^1].CardRef = new string('C', 257);
        records.Add(SyncRecords.Transaction(12, payload: ""));

        var accept = Assert.IsType<PushDecision.Accept>(PushPlanner.Plan(SyncRecords.Push(records), StreamHead.Empty, NoneHeld, Context));
        Assert.Equal(
            new string?[]
            {
                null, "UnknownService (karaoke)", "BadJson (payload_json)", "BadJson (payload_json)", "ImpossibleTime (occurred_at)",
                "ImpossibleTime (occurred_at)", null, "MissingField (operation)", "UnknownService (service)", "MissingField (occurred_at)",
                "FieldTooLong (card_ref)", null,
            },
            accept.NewRecords.Select(r => r.QuarantineReason));
        Assert.Equal(12, accept.Through);
    }

    [Fact]
    public void Audit_entries_are_quarantined_only_when_the_hub_cannot_use_them()
    {
        var log = new AuditLogWriter();
        var entries = new List<AuditRecord>
        {
            log.Next(),
            log.Refused("library", "borrow", "CardSuspended"),
            log.Refused("karaoke", "sing", "Closed"),
            log.Refused("library", "renew", null),
            log.Next("sign-in", "refused", """{"reason":"PinWrong"}"""),
            log.Next("backup", "ok", "not json"),
            log.Next("sign-out", "ok", "{}", localTime: "2026-10-05 10:00"),
        };
        var accept = Assert.IsType<PushDecision.Accept>(PushPlanner.Plan(SyncRecords.Push(entries), StreamHead.Empty, NoneHeld, Context));
        Assert.Equal(
            new string?[] { null, null, "UnknownService (karaoke)", "NoRefusalReason (detail_json.reason)", null, "BadJson (detail_json)", "ImpossibleTime (local_time)" },
            accept.NewRecords.Select(r => r.QuarantineReason));
    }

    [Fact]
    public void Telemetry_that_is_not_a_number_is_quarantined()
    {
        var accept = Assert.IsType<PushDecision.Accept>(PushPlanner.Plan(
            SyncRecords.Push([SyncRecords.Telemetry(1), SyncRecords.Telemetry(2, double.NaN), SyncRecords.Telemetry(3, double.PositiveInfinity)]),
            StreamHead.Empty, NoneHeld, Context));
        Assert.Equal(new string?[] { null, "NotANumber (value)", "NotANumber (value)" }, accept.NewRecords.Select(r => r.QuarantineReason));
    }

    [Fact]
    public void A_refused_service_operation_reads_its_service_reason_and_flags_from_the_entry()
    {
        var log = new AuditLogWriter();
        var refused = AuditRefusals.Read(log.Refused("library", "borrow", "CardSuspended", training: true));
        Assert.NotNull(refused);
        Assert.Equal(("library", "borrow", "CardSuspended", true, false), (refused.Service, refused.Operation, refused.Reason, refused.Training, refused.Offline));
        Assert.Equal(SyncRecords.Morning.AddMinutes(1), refused.OccurredAt);

        // Not a service operation, or not refused: no usage.
        Assert.Null(AuditRefusals.Read(log.Next("sign-in", "refused", """{"reason":"PinWrong"}""")));
        Assert.Null(AuditRefusals.Read(log.Next("library.borrow", "ok", """{"reason":"x"}""")));
        // An older edge that put only the reason in the detail: the action names the operation.
        var old = AuditRefusals.Read(log.Next("points.use", "refused", """{"reason":"OutsideHours","offline":true}"""));
        Assert.Equal(("points", "use", "OutsideHours", true), (old!.Service, old.Operation, old.Reason, old.Offline));
    }

    [Theory]
    [InlineData("2026-10-05T10:00:00.1234567+09:00", true)]
    [InlineData("2026-10-05T10:00:00+09:00", true)]
    [InlineData("2026-10-05T01:00:00.5Z", true)]
    [InlineData("2026-10-05T10:00:00", false)]
    [InlineData("2026-10-05", false)]
    [InlineData("yesterday", false)]
    public void Audit_local_time_needs_an_offset(string text, bool readable) =>
        Assert.Equal(readable, RecordChecks.ParseLocalTime(text) is not null);

    [Fact]
    public void A_timestamp_outside_the_representable_range_is_an_impossible_time()
    {
        var record = SyncRecords.Transaction(1);
        record.OccurredAt = new Timestamp { Seconds = long.MaxValue };
        Assert.Equal("ImpossibleTime (occurred_at)", RecordChecks.Transaction(record, Context));
    }

    [Fact]
    public void A_snapshot_token_round_trips_and_a_foreign_one_is_refused()
    {
        var token = new SnapshotPageToken(42, SyncScope.Id(["library"]), MasterKinds.LoanSummary, "C-0001/library");
        Assert.Equal(token, SnapshotPageToken.TryDecode(token.Encode()));
        var longest = new SnapshotPageToken(long.MaxValue, SyncScope.Id(["library"]), new string('種', 64), new string('鍵', 256) + "\"\u0000");
        Assert.Equal(longest, SnapshotPageToken.TryDecode(longest.Encode()));
        Assert.Null(SnapshotPageToken.TryDecode("not-a-token"));
        Assert.Null(SnapshotPageToken.TryDecode(Convert.ToBase64String("{\"V\":2}"u8)));
        Assert.Null(SnapshotPageToken.TryDecode(new string('A', 5000)));
        Assert.Null(SnapshotPageToken.TryDecode(null));
    }

    [Fact]
    public void Scope_candidates_are_the_edge_kinds_and_never_administration_kinds()
    {
        Assert.Contains(MasterKinds.IssuerKey, ScopeKinds.Candidates);
        Assert.Contains(MasterKinds.LoanSummary, ScopeKinds.Candidates);
        Assert.Contains(MasterKinds.Closure, ScopeKinds.Candidates);
        Assert.DoesNotContain(MasterKinds.Registration, ScopeKinds.Candidates);
        Assert.DoesNotContain(MasterKinds.Terminal, ScopeKinds.Candidates);
        Assert.DoesNotContain(MasterKinds.Site, ScopeKinds.Candidates);
        Assert.DoesNotContain(MasterKinds.Operator, ScopeKinds.Candidates);
        Assert.Equal(13, ScopeKinds.Candidates.Count);
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(1, 1)]
    [InlineData(5000, 5000)]
    [InlineData(5001, null)]
    [InlineData(-1, null)]
    public void Page_limits_follow_the_contract(int requested, int? page) => Assert.Equal(page, SyncLimits.Page(requested));
}
