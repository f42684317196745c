-- Sync (ADR 0010): what terminals upload, how far the hub holds each stream, and the quarantine.

-- How far the hub holds each record stream of each terminal: 1..through_seq without a gap
-- (stored or quarantined). last_hash is the hex hash of audit entry through_seq, which the next
-- batch must continue. refused_seq is the audit entry whose broken chain was last written to the
-- hub audit, so a terminal retrying the same broken batch does not flood it.
CREATE TABLE sync_streams (
    municipality TEXT        NOT NULL REFERENCES municipalities (code),
    terminal     TEXT        NOT NULL,
    stream       TEXT        NOT NULL,
    through_seq  INTEGER     NOT NULL,
    last_hash    TEXT        NULL,
    refused_seq  INTEGER     NULL,
    updated_at   TEXT        NOT NULL,
    PRIMARY KEY (municipality, terminal, stream)
);

-- Transactions as the terminal recorded them.
CREATE TABLE edge_transactions (
    municipality TEXT         NOT NULL REFERENCES municipalities (code),
    terminal     TEXT         NOT NULL,
    seq          INTEGER      NOT NULL,
    request_id   TEXT         NOT NULL,
    occurred_at  TEXT         NOT NULL,
    service      TEXT         NOT NULL,
    operation    TEXT         NOT NULL,
    card_ref     TEXT         NULL,
    member       TEXT         NULL,
    operator     TEXT         NULL,
    item         TEXT         NULL,
    amount       INTEGER      NULL,
    training     INTEGER      NOT NULL,
    offline      INTEGER      NOT NULL,
    payload      TEXT         NOT NULL,
    audit_seq    INTEGER      NULL,
    received_at  TEXT         NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- The terminal's audit log, every field as text exactly as it was hashed, so the chain can be
-- recomputed from these rows at any time.
CREATE TABLE edge_audit (
    municipality TEXT        NOT NULL REFERENCES municipalities (code),
    terminal     TEXT        NOT NULL,
    seq          INTEGER     NOT NULL,
    local_time   TEXT        NOT NULL,
    action       TEXT        NOT NULL,
    outcome      TEXT        NOT NULL,
    operator     TEXT        NULL,
    subject      TEXT        NULL,
    detail       TEXT        NOT NULL,
    prev_hash    TEXT        NOT NULL,
    hash         TEXT        NOT NULL,
    received_at  TEXT        NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

CREATE TABLE edge_telemetry (
    municipality TEXT             NOT NULL REFERENCES municipalities (code),
    terminal     TEXT             NOT NULL,
    seq          INTEGER          NOT NULL,
    occurred_at  TEXT             NOT NULL,
    name         TEXT             NOT NULL,
    value        REAL             NOT NULL,
    detail       TEXT             NOT NULL,
    received_at  TEXT             NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- Records the hub acknowledged but cannot use, with the reason and the record as JSON.
CREATE TABLE sync_quarantine (
    municipality TEXT         NOT NULL REFERENCES municipalities (code),
    terminal     TEXT         NOT NULL,
    stream       TEXT         NOT NULL,
    seq          INTEGER      NOT NULL,
    reason       TEXT         NOT NULL,
    record       TEXT         NOT NULL,
    received_at  TEXT         NOT NULL,
    PRIMARY KEY (municipality, terminal, stream, seq)
);
