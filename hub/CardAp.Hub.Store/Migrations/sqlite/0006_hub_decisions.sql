-- Online-only operations (ADR 0011): the hub's decision on a transaction pushed with confirm
-- set, taken once when the record was first stored and answered again to every retry.
CREATE TABLE sync_decisions (
    municipality TEXT    NOT NULL REFERENCES municipalities (code),
    terminal     TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    reason       TEXT    NULL,
    message_en   TEXT    NULL,
    message_ja   TEXT    NULL,
    decided_at   TEXT    NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- Central checks read a member's records of one service across all terminals (a points balance).
CREATE INDEX ix_edge_transactions_member ON edge_transactions (municipality, service, member);
