namespace CardAp.Edge.Store;

/// <summary>
/// The edge schema, as ordered migrations. Never edit a released migration: add the next one.
/// Streams are "transactions", "audit" and "telemetry"; each has a gap-free sequence enforced by
/// triggers, so even raw SQL cannot leave a hole, overwrite a record or delete one.
/// </summary>
internal static class Migrations
{
    /// <summary>'CAPE' in the database header: marks the file as a CardAp edge database.</summary>
    public const int ApplicationId = 0x43415045;

    /// <summary>The migration that adds the snapshot staging table (older schemas exist only in upgrade tests).</summary>
    public const int StagingVersion = 2;

    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "initial schema: master data, local records, outbox, sync state", $$"""
            PRAGMA application_id = {{ApplicationId}};

            CREATE TABLE master_data (
                kind    TEXT    NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
                key     TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
                payload TEXT    NOT NULL CHECK (json_valid(payload) AND json_type(payload) = 'object'),
                version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
                PRIMARY KEY (kind, key)
            ) WITHOUT ROWID;

            CREATE TABLE audit_log (
                seq        INTEGER PRIMARY KEY CHECK (seq > 0),
                local_time TEXT    NOT NULL,
                action     TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
                outcome    TEXT    NOT NULL CHECK (length(outcome) BETWEEN 1 AND 64),
                operator   TEXT,
                subject    TEXT,
                detail     TEXT    NOT NULL DEFAULT '{}',
                prev_hash  BLOB    NOT NULL CHECK (length(prev_hash) = 32),
                hash       BLOB    NOT NULL CHECK (length(hash) = 32)
            );
            CREATE TRIGGER audit_log_next BEFORE INSERT ON audit_log
                WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
                  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), zeroblob(32))
            BEGIN SELECT RAISE(ABORT, 'audit_log is a hash chain: seq must be the next number and prev_hash the hash of the last entry'); END;
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be updated'); END;
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be deleted'); END;

            CREATE TABLE transactions (
                seq        INTEGER PRIMARY KEY CHECK (seq > 0),
                id         TEXT    NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 64),
                local_time TEXT    NOT NULL,
                utc_ticks  INTEGER NOT NULL,
                service    TEXT    NOT NULL CHECK (length(service) BETWEEN 1 AND 64),
                operation  TEXT    NOT NULL CHECK (length(operation) BETWEEN 1 AND 64),
                card_ref   TEXT,
                member     TEXT,
                operator   TEXT,
                item       TEXT,
                amount     INTEGER,
                training   INTEGER NOT NULL CHECK (training IN (0, 1)),
                payload    TEXT    NOT NULL DEFAULT '{}',
                audit_seq  INTEGER REFERENCES audit_log (seq)
            );
            -- Partial: a record without member (or item) touches one page less when it commits.
            CREATE INDEX transactions_by_member ON transactions (service, member, utc_ticks) WHERE member IS NOT NULL;
            CREATE INDEX transactions_by_item ON transactions (service, item, utc_ticks) WHERE item IS NOT NULL;
            CREATE TRIGGER transactions_next BEFORE INSERT ON transactions
                WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM transactions)
            BEGIN SELECT RAISE(ABORT, 'transactions: seq must be the next number (gap-free)'); END;
            CREATE TRIGGER transactions_no_update BEFORE UPDATE ON transactions
            BEGIN SELECT RAISE(ABORT, 'transactions are append-only: records cannot be updated'); END;
            CREATE TRIGGER transactions_no_delete BEFORE DELETE ON transactions
            BEGIN SELECT RAISE(ABORT, 'transactions are append-only: records cannot be deleted'); END;

            CREATE TABLE telemetry (
                seq        INTEGER PRIMARY KEY CHECK (seq > 0),
                local_time TEXT    NOT NULL,
                name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
                value      REAL    NOT NULL,
                detail     TEXT    NOT NULL DEFAULT '{}'
            );
            CREATE TRIGGER telemetry_next BEFORE INSERT ON telemetry
                WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM telemetry)
            BEGIN SELECT RAISE(ABORT, 'telemetry: seq must be the next number (gap-free)'); END;
            CREATE TRIGGER telemetry_no_update BEFORE UPDATE ON telemetry
            BEGIN SELECT RAISE(ABORT, 'telemetry is append-only: records cannot be updated'); END;
            CREATE TRIGGER telemetry_no_delete BEFORE DELETE ON telemetry
            BEGIN SELECT RAISE(ABORT, 'telemetry is append-only: records cannot be deleted'); END;

            CREATE TABLE outbox (
                stream TEXT    NOT NULL CHECK (stream IN ('transactions', 'audit', 'telemetry')),
                seq    INTEGER NOT NULL CHECK (seq > 0),
                PRIMARY KEY (stream, seq)
            ) WITHOUT ROWID;

            CREATE TABLE sync_state (
                key   TEXT NOT NULL PRIMARY KEY,
                value TEXT NOT NULL
            ) WITHOUT ROWID;
            """),
        // Rows recorded before this migration say "online" (0): the flag did not exist, and the
        // hub's offline share should under-count rather than invent offline work.
        new(2, "sync: offline flag on transactions, staging table for hub snapshots", """
            ALTER TABLE transactions ADD COLUMN offline INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1));

            -- A hub snapshot arrives in pages; they collect here and replace master_data in one
            -- transaction, so no reader ever sees half a set. Emptied at every start: a snapshot
            -- interrupted by a crash is taken again from its first page.
            CREATE TABLE master_staging (
                kind    TEXT    NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
                key     TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
                payload TEXT    NOT NULL CHECK (json_valid(payload) AND json_type(payload) = 'object'),
                version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
                PRIMARY KEY (kind, key)
            ) WITHOUT ROWID;
            """),
        new(3, "online-only operations: transactions awaiting the hub's decision, and its decisions", """
            -- 1: the operation waits for the hub's decision before the clerk gets an answer (ADR 0011).
            ALTER TABLE transactions ADD COLUMN confirm INTEGER NOT NULL DEFAULT 0 CHECK (confirm IN (0, 1));

            -- The hub's word on a confirm transaction, once. Transactions stay append-only: a refused
            -- one keeps its row and is left out of every sum, count and query through this table.
            CREATE TABLE hub_decisions (
                seq        INTEGER PRIMARY KEY REFERENCES transactions (seq),
                accepted   INTEGER NOT NULL CHECK (accepted IN (0, 1)),
                reason     TEXT    CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 64),
                message_en TEXT,
                message_ja TEXT,
                decided_at TEXT    NOT NULL
            );
            CREATE TRIGGER hub_decisions_final BEFORE UPDATE ON hub_decisions
            BEGIN SELECT RAISE(ABORT, 'a hub decision is final: it cannot be changed'); END;
            CREATE TRIGGER hub_decisions_kept BEFORE DELETE ON hub_decisions
            BEGIN SELECT RAISE(ABORT, 'a hub decision is final: it cannot be deleted'); END;
            """),
    ];
}
