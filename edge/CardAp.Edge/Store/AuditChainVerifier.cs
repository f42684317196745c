using System.Globalization;
using CardAp.Shared.Audit;

namespace CardAp.Edge.Store;

/// <summary>
/// Walks the audit log in sequence order and finds the first broken link: a missing or out-of-order
/// sequence number, a prev_hash that is not the previous entry's hash, or a hash that does not match
/// the entry (<see cref="AuditHash"/>). It also notices a log that ends before what the outbox or the
/// hub's acknowledgement know of (deleted newest entries).
/// </summary>
public sealed class AuditChainVerifier(EdgeDatabase database)
{
    public AuditChainResult Verify(CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        // One read transaction: a consistent snapshot while writers keep appending.
        using var transaction = connection.BeginTransaction(deferred: true);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT seq, local_time, action, outcome, operator, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq";
        long expected = 1;
        long count = 0;
        var previous = AuditHash.Genesis;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if ((count & 0xFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var seq = reader.GetInt64(0);
                if (seq != expected)
                {
                    return AuditChainResult.Broken(count, seq, AuditChainProblem.SequenceGap,
                        seq == expected + 1
                            ? $"Audit entry {expected} is missing: after entry {expected - 1} comes entry {seq}."
                            : seq > expected
                                ? $"Audit entries {expected} to {seq - 1} are missing: after entry {expected - 1} comes entry {seq}."
                                : $"Audit entry {seq} appears where entry {expected} was expected.");
                }
                var prevHash = (byte[])reader.GetValue(7);
                var hash = (byte[])reader.GetValue(8);
                if (!prevHash.AsSpan().SequenceEqual(previous))
                {
                    return AuditChainResult.Broken(count, seq, AuditChainProblem.PrevHashMismatch,
                        seq == 1
                            ? "Audit entry 1 does not start from the genesis hash (32 zero bytes)."
                            : $"Audit entry {seq} is not linked to entry {seq - 1}: its prev_hash differs from that entry's hash.");
                }
                var computed = AuditHash.Compute(seq, reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6), prevHash);
                if (!computed.AsSpan().SequenceEqual(hash))
                {
                    return AuditChainResult.Broken(count, seq, AuditChainProblem.HashMismatch,
                        $"Audit entry {seq} was altered: its content does not match its hash.");
                }
                previous = hash;
                count++;
                expected++;
            }
        }

        // Entries the outbox still lists, or the hub acknowledged, must exist.
        command.CommandText = "SELECT coalesce((SELECT max(seq) FROM outbox WHERE stream = 'audit'), 0), (SELECT value FROM sync_state WHERE key = $ack)";
        command.Parameters.AddWithValue("$ack", StateKeys.Ack(OutboxStreams.Audit));
        using (var reader = command.ExecuteReader())
        {
            reader.Read();
            var known = Math.Max(reader.GetInt64(0), reader.IsDBNull(1) ? 0 : long.Parse(reader.GetString(1), CultureInfo.InvariantCulture));
            if (known > count)
            {
                return AuditChainResult.Broken(count, count + 1, AuditChainProblem.Truncated,
                    $"The audit log ends at entry {count}, but entries up to {known} were written (outbox or hub acknowledgement): the newest entries were removed.");
            }
        }
        return AuditChainResult.Valid(count);
    }
}
