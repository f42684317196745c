-- Usage records uploaded by terminals, the fleet's last contact, the hub audit and revoked certificates.

-- One row per operation a terminal recorded (outcome 'ok') or refused (outcome 'refused', with
-- the reason). The key is the terminal's own stream and sequence, so an upload retried after an
-- outage inserts nothing twice. local_date / local_hour are the terminal's Japan-time day and
-- hour, kept as columns so reports group without engine-specific date functions.
CREATE TABLE usage_records (
    municipality nchar(6) NOT NULL REFERENCES municipalities (code),
    terminal     nvarchar(64) NOT NULL,
    stream       nvarchar(16) NOT NULL,
    seq          bigint      NOT NULL,
    site         nvarchar(64) NOT NULL,
    occurred_at  datetimeoffset(7) NOT NULL,
    local_date   nvarchar(10) NOT NULL,
    local_hour   smallint    NOT NULL CHECK (local_hour BETWEEN 0 AND 23),
    service      nvarchar(64) NOT NULL,
    operation    nvarchar(64) NOT NULL,
    outcome      nvarchar(16) NOT NULL CHECK (outcome IN ('ok', 'refused')),
    reason       nvarchar(64) NULL,
    offline      bit     NOT NULL,
    training     bit     NOT NULL,
    received_at  datetimeoffset(7) NOT NULL,
    PRIMARY KEY (municipality, terminal, stream, seq)
);

CREATE INDEX ix_usage_records_date ON usage_records (municipality, local_date);

-- Each terminal's last contact with the hub, as the terminal reported it.
CREATE TABLE terminal_contacts (
    municipality     nchar(6) NOT NULL REFERENCES municipalities (code),
    terminal         nvarchar(64) NOT NULL,
    last_contact_at  datetimeoffset(7) NOT NULL,
    software_version nvarchar(64) NOT NULL,
    backlog          bigint      NOT NULL,
    clock_skew_ms    bigint      NOT NULL,
    PRIMARY KEY (municipality, terminal)
);

-- What administrators and the hub itself did, per municipality (a move is written in both).
CREATE TABLE hub_audit (
    id           bigint IDENTITY(1,1) PRIMARY KEY,
    municipality nchar(6)  NOT NULL REFERENCES municipalities (code),
    at           datetimeoffset(7)  NOT NULL,
    actor        nvarchar(128) NOT NULL,
    action       nvarchar(64)  NOT NULL,
    subject      nvarchar(256) NULL,
    detail       nvarchar(max)        NOT NULL
);

CREATE INDEX ix_hub_audit_municipality ON hub_audit (municipality, id);

-- Client certificates withdrawn before they expire (a stolen terminal, an administrator who left).
CREATE TABLE revoked_certificates (
    serial     nvarchar(64)  NOT NULL PRIMARY KEY,
    subject    nvarchar(256) NOT NULL,
    reason     nvarchar(256) NOT NULL,
    revoked_at datetimeoffset(7)  NOT NULL,
    revoked_by nvarchar(128) NOT NULL
);
