-- Usage records uploaded by terminals, the fleet's last contact, the hub audit and revoked certificates.

-- One row per operation a terminal recorded (outcome 'ok') or refused (outcome 'refused', with
-- the reason). The key is the terminal's own stream and sequence, so an upload retried after an
-- outage inserts nothing twice. local_date / local_hour are the terminal's Japan-time day and
-- hour, kept as columns so reports group without engine-specific date functions.
CREATE TABLE usage_records (
    municipality TEXT  NOT NULL REFERENCES municipalities (code),
    terminal     TEXT NOT NULL,
    stream       TEXT NOT NULL,
    seq          INTEGER      NOT NULL,
    site         TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    local_date   TEXT NOT NULL,
    local_hour   INTEGER    NOT NULL CHECK (local_hour BETWEEN 0 AND 23),
    service      TEXT NOT NULL,
    operation    TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
    reason       TEXT NULL,
    offline      INTEGER     NOT NULL,
    training     INTEGER     NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (municipality, terminal, stream, seq)
);

CREATE INDEX ix_usage_records_date ON usage_records (municipality, local_date);

-- Each terminal's last contact with the hub, as the terminal reported it.
CREATE TABLE terminal_contacts (
    municipality     TEXT  NOT NULL REFERENCES municipalities (code),
    terminal         TEXT NOT NULL,
    last_contact_at  TEXT NOT NULL,
    software_version TEXT NOT NULL,
    backlog          INTEGER      NOT NULL,
    clock_skew_ms    INTEGER      NOT NULL,
    PRIMARY KEY (municipality, terminal)
);

-- What administrators and the hub itself did, per municipality (a move is written in both).
CREATE TABLE hub_audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality TEXT   NOT NULL REFERENCES municipalities (code),
    at           TEXT  NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT  NOT NULL,
    subject      TEXT NULL,
    detail       TEXT         NOT NULL
);

CREATE INDEX ix_hub_audit_municipality ON hub_audit (municipality, id);

-- Client certificates withdrawn before they expire (a stolen terminal, an administrator who left).
CREATE TABLE revoked_certificates (
    serial     TEXT  NOT NULL PRIMARY KEY,
    subject    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    revoked_at TEXT  NOT NULL,
    revoked_by TEXT NOT NULL
);
