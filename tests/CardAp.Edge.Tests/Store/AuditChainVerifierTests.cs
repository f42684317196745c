using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Edge.Store;
using CardAp.Shared.Audit;

namespace CardAp.Edge.Tests.Store;

public sealed class AuditChainVerifierTests
{
    private static TempStore StoreWithEntries(int count)
    {
        var store = new TempStore();
        for (var i = 1; i <= count; i++)
        {
            store.Records.RecordAudit(TempStore.Audit($"action-{i}", at: TempStore.T0.AddSeconds(i), detail: new JsonObject { ["n"] = i }));
        }
        return store;
    }

    /// <summary>Tampering as an attacker with file access would: the append-only triggers dropped first.</summary>
    private static void Tamper(TempStore store, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = store.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; " + sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }

    private static byte[] HashOf(TempStore store, long seq)
    {
        using var connection = store.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT hash FROM audit_log WHERE seq = {seq}";
        return (byte[])command.ExecuteScalar()!;
    }

    [Fact]
    public void An_empty_log_verifies()
    {
        using var store = new TempStore();

        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.Equal(AuditChainResult.Valid(0), result);
    }

    [Fact]
    public void An_untouched_log_verifies_with_its_count()
    {
        using var store = StoreWithEntries(10);

        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.True(result.IsValid);
        Assert.Equal(10, result.Count);
        Assert.Null(result.BrokenAt);
    }

    [Fact]
    public void The_first_entry_links_to_the_genesis_hash_and_hashes_its_canonical_encoding()
    {
        using var store = StoreWithEntries(1);
        var entry = Assert.Single(store.Records.AuditAfter(0));

        Assert.Equal(new byte[32], entry.PrevHash);
        var text = entry.LocalTime.ToString("O", CultureInfo.InvariantCulture);
        Assert.Equal(AuditHash.Compute(1, text, "action-1", "ok", "OP01", "CARD-001", """{"n":1}""", new byte[32]), entry.Hash);
    }

    [Fact]
    public void An_altered_entry_is_found()
    {
        using var store = StoreWithEntries(10);

        Tamper(store, "UPDATE audit_log SET detail = '{\"n\":333}' WHERE seq = 3");
        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.False(result.IsValid);
        Assert.Equal((3L, AuditChainProblem.HashMismatch, 2L), (result.BrokenAt, result.Problem, result.Count));
        Assert.Equal("Audit entry 3 was altered: its content does not match its hash.", result.Message);
    }

    [Fact]
    public void An_altered_entry_with_a_recomputed_hash_breaks_the_next_link()
    {
        using var store = StoreWithEntries(10);
        var entry = store.Records.AuditAfter(2, 1)[0];
        var forged = AuditHash.Compute(3, entry.LocalTime.ToString("O", CultureInfo.InvariantCulture), entry.Action, "refused", entry.Operator, entry.Subject, entry.DetailJson, entry.PrevHash);

        Tamper(store, "UPDATE audit_log SET outcome = 'refused', hash = $hash WHERE seq = 3", ("$hash", forged));
        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.Equal((4L, AuditChainProblem.PrevHashMismatch), (result.BrokenAt, result.Problem));
        Assert.Equal("Audit entry 4 is not linked to entry 3: its prev_hash differs from that entry's hash.", result.Message);
    }

    [Fact]
    public void A_deleted_entry_is_found()
    {
        using var store = StoreWithEntries(10);

        Tamper(store, "DELETE FROM audit_log WHERE seq = 5");
        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.Equal((6L, AuditChainProblem.SequenceGap, 4L), (result.BrokenAt, result.Problem, result.Count));
        Assert.Equal("Audit entry 5 is missing: after entry 4 comes entry 6.", result.Message);
    }

    [Fact]
    public void Swapped_hashes_are_found()
    {
        using var store = StoreWithEntries(10);
        var (second, third) = (HashOf(store, 2), HashOf(store, 3));

        Tamper(store, "UPDATE audit_log SET hash = $third WHERE seq = 2; UPDATE audit_log SET hash = $second WHERE seq = 3;", ("$second", second), ("$third", third));
        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.Equal((2L, AuditChainProblem.HashMismatch), (result.BrokenAt, result.Problem));
    }

    [Fact]
    public void A_relinked_entry_is_found()
    {
        using var store = StoreWithEntries(10);

        Tamper(store, "UPDATE audit_log SET prev_hash = $first WHERE seq = 3", ("$first", HashOf(store, 1)));
        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.Equal((3L, AuditChainProblem.PrevHashMismatch), (result.BrokenAt, result.Problem));
    }

    [Fact]
    public void Re_ordered_entries_are_found()
    {
        using var store = StoreWithEntries(10);

        // Entries 4 and 5 trade places, each keeping its content and hashes.
        Tamper(store, "UPDATE audit_log SET seq = 1000 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 1000;");
        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.Equal((4L, AuditChainProblem.PrevHashMismatch), (result.BrokenAt, result.Problem));
    }

    [Fact]
    public void Removing_the_newest_entries_is_found_through_the_outbox()
    {
        using var store = StoreWithEntries(10);

        Tamper(store, "DELETE FROM audit_log WHERE seq > 8");
        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.Equal((9L, AuditChainProblem.Truncated, 8L), (result.BrokenAt, result.Problem, result.Count));
    }

    [Fact]
    public void Removing_the_newest_entries_is_found_through_the_hub_acknowledgement()
    {
        using var store = StoreWithEntries(10);
        store.Outbox.Acknowledge(OutboxStreams.Audit, 10);

        Tamper(store, "DELETE FROM audit_log WHERE seq = 10");
        var result = store.Verifier.Verify(TestContext.Current.CancellationToken);

        Assert.Equal((10L, AuditChainProblem.Truncated), (result.BrokenAt, result.Problem));
        Assert.Contains("ends at entry 9, but entries up to 10 were written", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verification_is_consistent_while_writers_append()
    {
        using var store = StoreWithEntries(100);
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                store.Records.RecordAudit(TempStore.Audit());
            }
        }, TestContext.Current.CancellationToken);

        while (!writer.IsCompleted)
        {
            var result = store.Verifier.Verify(TestContext.Current.CancellationToken);
            Assert.True(result.IsValid, result.Message);
        }

        Assert.Equal(AuditChainResult.Valid(300), store.Verifier.Verify(TestContext.Current.CancellationToken));
    }
}
