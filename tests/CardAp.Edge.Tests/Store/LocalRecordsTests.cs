using System.Text.Json.Nodes;
using CardAp.Edge.Store;

namespace CardAp.Edge.Tests.Store;

public sealed class LocalRecordsTests
{
    [Fact]
    public void A_transaction_is_stored_as_given_with_its_audit_entry_and_outbox_entries()
    {
        using var store = new TempStore();
        var at = new DateTimeOffset(2026, 11, 27, 10, 15, 30, 123, TimeSpan.FromHours(9));

        var receipt = store.Records.RecordTransaction(
            new NewTransaction("req-1", at, "library", "checkout", "CARD-9", "L-100", "OP01", "BOOK-7", null, false, new JsonObject { ["due"] = "2026-12-11", ["title"] = "吾輩は猫である" }),
            new AuditEntry(at, "library.checkout", "ok", "OP01", "CARD-9", new JsonObject { ["requestId"] = "req-1" }));

        Assert.Equal(new TransactionReceipt(1, 1, false), receipt);
        var stored = store.Records.ByRequestId("req-1")!;
        Assert.Equal(1, stored.Seq);
        Assert.Equal(at, stored.LocalTime);
        Assert.Equal(at.Offset, stored.LocalTime.Offset);
        Assert.Equal(("library", "checkout", "CARD-9", "L-100", "OP01", "BOOK-7"), (stored.Service, stored.Operation, stored.CardRef, stored.Member, stored.Operator, stored.Item));
        Assert.Null(stored.Amount);
        Assert.False(stored.Training);
        Assert.Equal(1, stored.AuditSeq);
        Assert.Equal("吾輩は猫である", stored.ParsePayload()["title"]!.GetValue<string>());
        Assert.Contains("吾輩は猫である", stored.PayloadJson, StringComparison.Ordinal);
        Assert.Equal([1L], store.Outbox.Pending(OutboxStreams.Transactions));
        Assert.Equal([1L], store.Outbox.Pending(OutboxStreams.Audit));
        var audit = Assert.Single(store.Records.AuditAfter(0));
        Assert.Equal(("library.checkout", "ok", "OP01", "CARD-9"), (audit.Action, audit.Outcome, audit.Operator, audit.Subject));
    }

    [Fact]
    public void Queries_leave_training_out_unless_asked()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("a", amount: 10), TempStore.Audit());
        store.Records.RecordTransaction(TempStore.Transaction("b", amount: 5, training: true), TempStore.Audit());
        store.Records.RecordTransaction(TempStore.Transaction("c", amount: 7), TempStore.Audit());

        Assert.Equal(["a", "c"], store.Records.Transactions("points").Select(t => t.Id));
        Assert.Equal(["a", "b", "c"], store.Records.Transactions("points", includeTraining: true).Select(t => t.Id));
        Assert.Equal(17, store.Records.Sum("points", "accrue", "M001"));
        Assert.Equal(22, store.Records.Sum("points", "accrue", "M001", includeTraining: true));
        Assert.Equal(2, store.Records.Count("points", "accrue"));
        Assert.Equal(3, store.Records.Count("points", "accrue", includeTraining: true));
        Assert.Equal(3, store.Records.TransactionsAfter(0).Count);
    }

    [Fact]
    public void Filters_by_member_item_operation_and_time_across_offsets()
    {
        using var store = new TempStore();
        var t0 = TempStore.T0;
        store.Records.RecordTransaction(TempStore.Transaction("1", "library", "checkout", "L1", "BOOK-1", null, at: t0), TempStore.Audit());
        store.Records.RecordTransaction(TempStore.Transaction("2", "library", "checkout", "L2", "BOOK-2", null, at: t0.AddHours(1)), TempStore.Audit());
        store.Records.RecordTransaction(TempStore.Transaction("3", "library", "return", "L1", "BOOK-1", null, at: t0.AddHours(2)), TempStore.Audit());
        store.Records.RecordTransaction(TempStore.Transaction("4", "points", "accrue", "L1", null, 3, at: t0.AddHours(3)), TempStore.Audit());

        Assert.Equal(["1", "3"], store.Records.Transactions("library", member: "L1").Select(t => t.Id));
        Assert.Equal(["2"], store.Records.Transactions("library", item: "BOOK-2").Select(t => t.Id));
        Assert.Equal(1, store.Records.Count("library", "checkout", member: "L1"));
        Assert.Equal(1, store.Records.Count("library", "return", item: "BOOK-1"));
        // The same instant written in UTC: "since" compares instants, not text.
        var sinceUtc = t0.AddHours(1).ToUniversalTime();
        Assert.Equal(["2", "3"], store.Records.Transactions("library", since: sinceUtc).Select(t => t.Id));
        Assert.Equal(0, store.Records.Sum("points", "accrue", "L1", since: t0.AddHours(4)));
        Assert.Equal(3, store.Records.Sum("points", "accrue", "L1", since: t0));
        Assert.Empty(store.Records.Transactions("shelter"));
    }

    [Fact]
    public void Unknown_request_id_gives_null()
    {
        using var store = new TempStore();

        Assert.Null(store.Records.ByRequestId("nope"));
    }

    [Fact]
    public void Audit_and_telemetry_have_their_own_sequences()
    {
        using var store = new TempStore();

        Assert.Equal(1, store.Records.RecordAudit(TempStore.Audit("sign-in")));
        Assert.Equal(2, store.Records.RecordAudit(TempStore.Audit("sign-out")));
        Assert.Equal(1, store.Records.RecordTelemetry(TempStore.T0, "reader.latency.ms", 3.5, new JsonObject { ["reader"] = "R1" }));
        Assert.Equal(new TransactionReceipt(1, 3, false), store.Records.RecordTransaction(TempStore.Transaction("x"), TempStore.Audit()));
        Assert.Equal(2, store.Records.RecordTelemetry(TempStore.T0, "queue", 0));

        Assert.Equal(3, store.Records.LastSeq(OutboxStreams.Audit));
        Assert.Equal(2, store.Records.LastSeq(OutboxStreams.Telemetry));
        var telemetry = store.Records.TelemetryAfter(0);
        Assert.Equal([1L, 2L], telemetry.Select(t => t.Seq));
        Assert.Equal(3.5, telemetry[0].Value);
        Assert.Equal("""{"reader":"R1"}""", telemetry[0].DetailJson);
        Assert.Equal([1L, 2L], store.Outbox.Pending(OutboxStreams.Telemetry));
    }

    [Theory]
    [InlineData("", "transaction.Id is required")]
    [InlineData("has space", "printable ASCII")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123X", "longer than 64")]
    public void Bad_request_ids_are_refused_before_anything_is_written(string id, string message)
    {
        using var store = new TempStore();

        var e = Assert.Throws<ArgumentException>(() => store.Records.RecordTransaction(TempStore.Transaction(id), TempStore.Audit()));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public void Missing_service_operation_and_action_are_named()
    {
        using var store = new TempStore();

        Assert.Contains("transaction.Service", Assert.Throws<ArgumentException>(() => store.Records.RecordTransaction(TempStore.Transaction("a", service: ""), TempStore.Audit())).Message, StringComparison.Ordinal);
        Assert.Contains("transaction.Operation", Assert.Throws<ArgumentException>(() => store.Records.RecordTransaction(TempStore.Transaction("a", operation: ""), TempStore.Audit())).Message, StringComparison.Ordinal);
        Assert.Contains("audit.Action", Assert.Throws<ArgumentException>(() => store.Records.RecordAudit(TempStore.Audit(action: ""))).Message, StringComparison.Ordinal);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => store.Records.RecordTelemetry(TempStore.T0, "x", double.NaN)).Message, StringComparison.Ordinal);
        Assert.Contains("limit", Assert.Throws<ArgumentException>(() => store.Records.RecordTransaction(
            TempStore.Transaction("a", payload: new JsonObject { ["big"] = new string('x', 70_000) }), TempStore.Audit())).Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public void Empty_optional_strings_are_stored_as_null()
    {
        using var store = new TempStore();

        store.Records.RecordTransaction(new NewTransaction("e", TempStore.T0, "shelter", "check-in", "", "", "", "", null, false), TempStore.Audit());

        var stored = store.Records.ByRequestId("e")!;
        Assert.Equal((null, null, null, null), (stored.CardRef, stored.Member, stored.Operator, stored.Item));
        Assert.Equal("{}", stored.PayloadJson);
    }
}
