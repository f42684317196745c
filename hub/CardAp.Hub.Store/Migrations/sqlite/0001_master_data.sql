-- Municipalities, their change sequence, and one generic master row table with a change feed.
CREATE TABLE municipalities (
    code       TEXT NOT NULL PRIMARY KEY CHECK (length(code) = 6),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One row per municipality: writers increment last_seq inside their transaction, which
-- serialises them per municipality, so change_seq is gap-free and in commit order.
CREATE TABLE municipality_sequences (
    municipality TEXT    NOT NULL PRIMARY KEY REFERENCES municipalities (code),
    last_seq     INTEGER NOT NULL
);

CREATE TABLE master_rows (
    municipality TEXT    NOT NULL REFERENCES municipalities (code),
    kind         TEXT    NOT NULL,
    row_key      TEXT    NOT NULL,
    payload      TEXT    NULL,
    change_seq   INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (municipality, kind, row_key)
);

CREATE UNIQUE INDEX ix_master_rows_feed ON master_rows (municipality, change_seq);
