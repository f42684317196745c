-- Sync (ADR 0010): what terminals upload, how far the hub holds each stream, and the quarantine.

-- How far the hub holds each record stream of each terminal: 1..through_seq without a gap
-- (stored or quarantined). last_hash is the hex hash of audit entry through_seq, which the next
-- batch must continue. refused_seq is the audit entry whose broken chain was last written to the
-- hub audit, so a terminal retrying the same broken batch does not flood it.
CREATE TABLE sync_streams (
    municipality nchar(6)    NOT NULL REFERENCES municipalities (code),
    terminal     nvarchar(64) NOT NULL,
    stream       nvarchar(16) NOT NULL,
    through_seq  bigint      NOT NULL,
    last_hash    nvarchar(64) NULL,
    refused_seq  bigint      NULL,
    updated_at   datetimeoffset(7) NOT NULL,
    PRIMARY KEY (municipality, terminal, stream)
);

-- Transactions as the terminal recorded them.
CREATE TABLE edge_transactions (
    municipality nchar(6)     NOT NULL REFERENCES municipalities (code),
    terminal     nvarchar(64)  NOT NULL,
    seq          bigint       NOT NULL,
    request_id   nvarchar(64)  NOT NULL,
    occurred_at  datetimeoffset(7)  NOT NULL,
    service      nvarchar(64)  NOT NULL,
    operation    nvarchar(64)  NOT NULL,
    card_ref     nvarchar(256) NULL,
    member       nvarchar(64)  NULL,
    operator     nvarchar(64)  NULL,
    item         nvarchar(256) NULL,
    amount       bigint       NULL,
    training     bit      NOT NULL,
    offline      bit      NOT NULL,
    payload      nvarchar(max)         NOT NULL,
    audit_seq    bigint       NULL,
    received_at  datetimeoffset(7)  NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- The terminal's audit log, every field as text exactly as it was hashed, so the chain can be
-- recomputed from these rows at any time.
CREATE TABLE edge_audit (
    municipality nchar(6)    NOT NULL REFERENCES municipalities (code),
    terminal     nvarchar(64) NOT NULL,
    seq          bigint      NOT NULL,
    local_time   nvarchar(max)        NOT NULL,
    action       nvarchar(max)        NOT NULL,
    outcome      nvarchar(max)        NOT NULL,
    operator     nvarchar(max)        NULL,
    subject      nvarchar(max)        NULL,
    detail       nvarchar(max)        NOT NULL,
    prev_hash    nvarchar(64) NOT NULL,
    hash         nvarchar(64) NOT NULL,
    received_at  datetimeoffset(7) NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

CREATE TABLE edge_telemetry (
    municipality nchar(6)         NOT NULL REFERENCES municipalities (code),
    terminal     nvarchar(64)      NOT NULL,
    seq          bigint           NOT NULL,
    occurred_at  datetimeoffset(7)      NOT NULL,
    name         nvarchar(64)      NOT NULL,
    value        float NOT NULL,
    detail       nvarchar(max)             NOT NULL,
    received_at  datetimeoffset(7)      NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- Records the hub acknowledged but cannot use, with the reason and the record as JSON.
CREATE TABLE sync_quarantine (
    municipality nchar(6)     NOT NULL REFERENCES municipalities (code),
    terminal     nvarchar(64)  NOT NULL,
    stream       nvarchar(16)  NOT NULL,
    seq          bigint       NOT NULL,
    reason       nvarchar(256) NOT NULL,
    record       nvarchar(max)         NOT NULL,
    received_at  datetimeoffset(7)  NOT NULL,
    PRIMARY KEY (municipality, terminal, stream, seq)
);
