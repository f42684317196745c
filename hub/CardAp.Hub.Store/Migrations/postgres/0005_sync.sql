-- Sync (ADR 0010): what terminals upload, how far the hub holds each stream, and the quarantine.

-- How far the hub holds each record stream of each terminal: 1..through_seq without a gap
-- (stored or quarantined). last_hash is the hex hash of audit entry through_seq, which the next
-- batch must continue. refused_seq is the audit entry whose broken chain was last written to the
-- hub audit, so a terminal retrying the same broken batch does not flood it.
CREATE TABLE sync_streams (
    municipality varchar(6)  NOT NULL REFERENCES municipalities (code),
    terminal     varchar(64) NOT NULL,
    stream       varchar(16) NOT NULL,
    through_seq  bigint      NOT NULL,
    last_hash    varchar(64) NULL,
    refused_seq  bigint      NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (municipality, terminal, stream)
);

-- Transactions as the terminal recorded them.
CREATE TABLE edge_transactions (
    municipality varchar(6)   NOT NULL REFERENCES municipalities (code),
    terminal     varchar(64)  NOT NULL,
    seq          bigint       NOT NULL,
    request_id   varchar(64)  NOT NULL,
    occurred_at  timestamptz  NOT NULL,
    service      varchar(64)  NOT NULL,
    operation    varchar(64)  NOT NULL,
    card_ref     varchar(256) NULL,
    member       varchar(64)  NULL,
    operator     varchar(64)  NULL,
    item         varchar(256) NULL,
    amount       bigint       NULL,
    training     boolean      NOT NULL,
    offline      boolean      NOT NULL,
    payload      text         NOT NULL,
    audit_seq    bigint       NULL,
    received_at  timestamptz  NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- The terminal's audit log, every field as text exactly as it was hashed, so the chain can be
-- recomputed from these rows at any time.
CREATE TABLE edge_audit (
    municipality varchar(6)  NOT NULL REFERENCES municipalities (code),
    terminal     varchar(64) NOT NULL,
    seq          bigint      NOT NULL,
    local_time   text        NOT NULL,
    action       text        NOT NULL,
    outcome      text        NOT NULL,
    operator     text        NULL,
    subject      text        NULL,
    detail       text        NOT NULL,
    prev_hash    varchar(64) NOT NULL,
    hash         varchar(64) NOT NULL,
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

CREATE TABLE edge_telemetry (
    municipality varchar(6)       NOT NULL REFERENCES municipalities (code),
    terminal     varchar(64)      NOT NULL,
    seq          bigint           NOT NULL,
    occurred_at  timestamptz      NOT NULL,
    name         varchar(64)      NOT NULL,
    value        double precision NOT NULL,
    detail       text             NOT NULL,
    received_at  timestamptz      NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- Records the hub acknowledged but cannot use, with the reason and the record as JSON.
CREATE TABLE sync_quarantine (
    municipality varchar(6)   NOT NULL REFERENCES municipalities (code),
    terminal     varchar(64)  NOT NULL,
    stream       varchar(16)  NOT NULL,
    seq          bigint       NOT NULL,
    reason       varchar(256) NOT NULL,
    record       text         NOT NULL,
    received_at  timestamptz  NOT NULL,
    PRIMARY KEY (municipality, terminal, stream, seq)
);
