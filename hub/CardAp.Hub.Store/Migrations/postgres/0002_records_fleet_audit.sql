-- Usage records uploaded by terminals, the fleet's last contact, the hub audit and revoked certificates.

-- One row per operation a terminal recorded (outcome 'ok') or refused (outcome 'refused', with
-- the reason). The key is the terminal's own stream and sequence, so an upload retried after an
-- outage inserts nothing twice. local_date / local_hour are the terminal's Japan-time day and
-- hour, kept as columns so reports group without engine-specific date functions.
CREATE TABLE usage_records (
    municipality varchar(6)  NOT NULL REFERENCES municipalities (code),
    terminal     varchar(64) NOT NULL,
    stream       varchar(16) NOT NULL,
    seq          bigint      NOT NULL,
    site         varchar(64) NOT NULL,
    occurred_at  timestamptz NOT NULL,
    local_date   varchar(10) NOT NULL,
    local_hour   smallint    NOT NULL CHECK (local_hour BETWEEN 0 AND 23),
    service      varchar(64) NOT NULL,
    operation    varchar(64) NOT NULL,
    outcome      varchar(16) NOT NULL CHECK (outcome IN ('ok', 'refused')),
    reason       varchar(64) NULL,
    offline      boolean     NOT NULL,
    training     boolean     NOT NULL,
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (municipality, terminal, stream, seq)
);

CREATE INDEX ix_usage_records_date ON usage_records (municipality, local_date);

-- Each terminal's last contact with the hub, as the terminal reported it.
CREATE TABLE terminal_contacts (
    municipality     varchar(6)  NOT NULL REFERENCES municipalities (code),
    terminal         varchar(64) NOT NULL,
    last_contact_at  timestamptz NOT NULL,
    software_version varchar(64) NOT NULL,
    backlog          bigint      NOT NULL,
    clock_skew_ms    bigint      NOT NULL,
    PRIMARY KEY (municipality, terminal)
);

-- What administrators and the hub itself did, per municipality (a move is written in both).
CREATE TABLE hub_audit (
    id           bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    municipality varchar(6)   NOT NULL REFERENCES municipalities (code),
    at           timestamptz  NOT NULL,
    actor        varchar(128) NOT NULL,
    action       varchar(64)  NOT NULL,
    subject      varchar(256) NULL,
    detail       text         NOT NULL
);

CREATE INDEX ix_hub_audit_municipality ON hub_audit (municipality, id);

-- Client certificates withdrawn before they expire (a stolen terminal, an administrator who left).
CREATE TABLE revoked_certificates (
    serial     varchar(64)  NOT NULL PRIMARY KEY,
    subject    varchar(256) NOT NULL,
    reason     varchar(256) NOT NULL,
    revoked_at timestamptz  NOT NULL,
    revoked_by varchar(128) NOT NULL
);
