-- Municipalities, their change sequence, and one generic master row table with a change feed.
CREATE TABLE municipalities (
    code       varchar(6)   NOT NULL PRIMARY KEY CHECK (length(code) = 6),
    name       text         NOT NULL,
    created_at timestamptz  NOT NULL
);

-- One row per municipality: writers increment last_seq inside their transaction, which
-- serialises them per municipality, so change_seq is gap-free and in commit order.
CREATE TABLE municipality_sequences (
    municipality varchar(6) NOT NULL PRIMARY KEY REFERENCES municipalities (code),
    last_seq     bigint     NOT NULL
);

CREATE TABLE master_rows (
    municipality varchar(6)   NOT NULL REFERENCES municipalities (code),
    kind         varchar(64)  NOT NULL,
    row_key      varchar(256) NOT NULL,
    payload      text         NULL,
    change_seq   bigint       NOT NULL,
    deleted      boolean      NOT NULL,
    updated_at   timestamptz  NOT NULL,
    PRIMARY KEY (municipality, kind, row_key)
);

CREATE UNIQUE INDEX ix_master_rows_feed ON master_rows (municipality, change_seq);
