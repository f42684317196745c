using CardAp.Edge.Store;
using Microsoft.Data.Sqlite;

namespace CardAp.Edge.Tests.Store;

public sealed class AtomicityTests
{
    [Fact]
    public void A_failure_mid_transaction_leaves_neither_record_nor_outbox_entry()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("before"), TempStore.Audit());
        // Fail the very last statement of the next write: the transaction's outbox insert.
        store.Execute("""
            CREATE TRIGGER test_fail_outbox BEFORE INSERT ON outbox WHEN NEW.stream = 'transactions' AND NEW.seq = 2
            BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;
            """);

        var e = Assert.Throws<SqliteException>(() => store.Records.RecordTransaction(TempStore.Transaction("failing"), TempStore.Audit()));

        Assert.Contains("simulated failure", e.Message, StringComparison.Ordinal);
        Assert.Null(store.Records.ByRequestId("failing"));
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM transactions"));
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM audit_log"));
        Assert.Equal(2, store.Scalar("SELECT count(*) FROM outbox"));

        // The writer recovers and the sequences stay gap-free.
        store.Execute("DROP TRIGGER test_fail_outbox");
        Assert.Equal(new TransactionReceipt(2, 2, false), store.Records.RecordTransaction(TempStore.Transaction("after"), TempStore.Audit()));
        Assert.True(store.Verifier.Verify(TestContext.Current.CancellationToken).IsValid);
    }

    [Fact]
    public void A_failing_audit_outbox_entry_rolls_back_the_audit_entry()
    {
        using var store = new TempStore();
        store.Execute("""
            CREATE TRIGGER test_fail_outbox BEFORE INSERT ON outbox WHEN NEW.stream = 'audit'
            BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;
            """);

        Assert.Throws<SqliteException>(() => store.Records.RecordAudit(TempStore.Audit()));
        Assert.Throws<SqliteException>(() => store.Records.RecordTransaction(TempStore.Transaction("t"), TempStore.Audit()));

        Assert.Equal(0, store.Scalar("SELECT count(*) FROM audit_log"));
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM transactions"));
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM outbox"));
    }

    [Theory]
    [InlineData("UPDATE transactions SET amount = 1000", "transactions are append-only")]
    [InlineData("DELETE FROM transactions", "transactions are append-only")]
    [InlineData("UPDATE audit_log SET outcome = 'refused'", "audit_log is append-only")]
    [InlineData("DELETE FROM audit_log WHERE seq = 1", "audit_log is append-only")]
    [InlineData("UPDATE telemetry SET value = 0", "telemetry is append-only")]
    [InlineData("DELETE FROM telemetry", "telemetry is append-only")]
    [InlineData("INSERT INTO transactions (seq, id, local_time, utc_ticks, service, operation, training) VALUES (5, 'gap', 't', 0, 's', 'o', 0)", "gap-free")]
    [InlineData("INSERT INTO audit_log (seq, local_time, action, outcome, prev_hash, hash) VALUES (2, 't', 'a', 'ok', zeroblob(32), zeroblob(32))", "hash chain")]
    public void Raw_sql_cannot_change_remove_or_skip_records(string sql, string message)
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("t1"), TempStore.Audit());
        store.Records.RecordTelemetry(TempStore.T0, "x", 1);

        var e = Assert.Throws<SqliteException>(() => store.Execute(sql));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM transactions"));
        Assert.Equal(10, store.Scalar("SELECT amount FROM transactions"));
        Assert.True(store.Verifier.Verify(TestContext.Current.CancellationToken).IsValid);
    }
}
