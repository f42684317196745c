using CardAp.Edge.Store;

namespace CardAp.Edge.Tests.Store;

public sealed class IdempotencyTests
{
    [Fact]
    public void A_repeated_request_id_returns_the_original_receipt_and_writes_nothing()
    {
        using var store = new TempStore();
        var first = store.Records.RecordTransaction(TempStore.Transaction("retry-1", amount: 10), TempStore.Audit());
        store.Records.RecordTransaction(TempStore.Transaction("other"), TempStore.Audit());

        // A retry may carry another time and another derived amount: the original stands.
        var again = store.Records.RecordTransaction(TempStore.Transaction("retry-1", amount: 99, at: TempStore.T0.AddMinutes(1)), TempStore.Audit());

        Assert.Equal(first with { Duplicate = true }, again);
        Assert.Equal(2, store.Scalar("SELECT count(*) FROM transactions"));
        Assert.Equal(2, store.Scalar("SELECT count(*) FROM audit_log"));
        Assert.Equal(4, store.Scalar("SELECT count(*) FROM outbox"));
        Assert.Equal(10, store.Records.ByRequestId("retry-1")!.Amount);
    }

    [Fact]
    public void A_request_id_reused_for_a_different_transaction_is_refused()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("id-1", member: "M001"), TempStore.Audit());

        var e = Assert.Throws<RequestIdConflictException>(() =>
            store.Records.RecordTransaction(TempStore.Transaction("id-1", operation: "redeem", member: "M002"), TempStore.Audit()));

        Assert.Equal(1, e.OriginalSeq);
        Assert.Equal(["operation", "member"], e.Differences);
        Assert.Contains("Request id 'id-1' was already used for transaction 1", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM transactions"));
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public async Task Concurrent_retries_of_one_request_record_it_once()
    {
        using var store = new TempStore();

        var receipts = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            Task.Run(() => store.Records.RecordTransaction(TempStore.Transaction("same"), TempStore.Audit()), TestContext.Current.CancellationToken)));

        Assert.Single(receipts, r => !r.Duplicate);
        Assert.All(receipts, r => Assert.Equal((1L, 1L), (r.Seq, r.AuditSeq)));
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM transactions"));
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM audit_log"));
    }
}
