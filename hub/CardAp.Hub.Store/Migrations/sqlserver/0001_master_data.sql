-- Municipalities, their change sequence, and one generic master row table with a change feed.
-- Strings are nvarchar/nchar so SqlClient's nvarchar parameters compare without conversion.
CREATE TABLE municipalities (
    code       nchar(6)          NOT NULL PRIMARY KEY CHECK (len(code) = 6),
    name       nvarchar(200)     NOT NULL,
    created_at datetimeoffset(7) NOT NULL
);

-- One row per municipality: writers increment last_seq inside their transaction, which
-- serialises them per municipality, so change_seq is gap-free and in commit order.
CREATE TABLE municipality_sequences (
    municipality nchar(6) NOT NULL PRIMARY KEY REFERENCES municipalities (code),
    last_seq     bigint   NOT NULL
);

CREATE TABLE master_rows (
    municipality nchar(6)          NOT NULL REFERENCES municipalities (code),
    kind         nvarchar(64)      NOT NULL,
    row_key      nvarchar(256)     NOT NULL,
    payload      nvarchar(max)     NULL,
    change_seq   bigint            NOT NULL,
    deleted      bit               NOT NULL,
    updated_at   datetimeoffset(7) NOT NULL,
    PRIMARY KEY (municipality, kind, row_key)
);

CREATE UNIQUE INDEX ix_master_rows_feed ON master_rows (municipality, change_seq);
