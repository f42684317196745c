using CardAp.Shared.Audit;

namespace CardAp.Edge.Store;

/// <summary>An audit entry validated and turned into the text that is stored and hashed.</summary>
internal sealed record PreparedAudit(string LocalTime, string Action, string Outcome, string? Operator, string? Subject, string Detail)
{
    public static PreparedAudit From(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new PreparedAudit(
            RecordValidation.Time(entry.LocalTime),
            RecordValidation.Required(entry.Action, "audit.Action", RecordValidation.MaxNameLength),
            RecordValidation.Required(entry.Outcome, "audit.Outcome", RecordValidation.MaxNameLength),
            RecordValidation.Optional(entry.Operator, "audit.Operator", RecordValidation.MaxNameLength),
            RecordValidation.Optional(entry.Subject, "audit.Subject", RecordValidation.MaxReferenceLength),
            RecordValidation.Json(entry.Detail, "audit.Detail"));
    }

    /// <summary>Appends this entry to the hash chain and its outbox, inside the caller's write transaction.</summary>
    public long AppendTo(StoreSession store)
    {
        var command = store.Command("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
        long last = 0;
        var prevHash = AuditHash.Genesis;
        using (var reader = command.ExecuteReader())
        {
            if (reader.Read())
            {
                last = reader.GetInt64(0);
                prevHash = (byte[])reader.GetValue(1);
            }
        }
        var seq = last + 1;
        var hash = AuditHash.Compute(seq, LocalTime, Action, Outcome, Operator, Subject, Detail, prevHash);
        store.Execute(
            "INSERT INTO audit_log (seq, local_time, action, outcome, operator, subject, detail, prev_hash, hash) " +
            "VALUES ($seq, $time, $action, $outcome, $operator, $subject, $detail, $prev, $hash)",
            ("$seq", seq), ("$time", LocalTime), ("$action", Action), ("$outcome", Outcome), ("$operator", Operator),
            ("$subject", Subject), ("$detail", Detail), ("$prev", prevHash), ("$hash", hash));
        store.Execute("INSERT INTO outbox (stream, seq) VALUES ('audit', $seq)", ("$seq", seq));
        return seq;
    }
}
