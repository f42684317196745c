-- Usage counts per terminal, hour and kind of outcome, kept in step with usage_records in the
-- same transaction as each upload, so a report reads a few thousand counts instead of scanning a
-- month of records. Training records are not counted. reason is '' for operations done.
CREATE TABLE usage_rollup (
    municipality TEXT     NOT NULL REFERENCES municipalities (code),
    local_date   TEXT    NOT NULL,
    local_hour   INTEGER     NOT NULL,
    site         TEXT    NOT NULL,
    terminal     TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    offline      INTEGER     NOT NULL,
    records      INTEGER      NOT NULL,
    PRIMARY KEY (municipality, local_date, local_hour, site, terminal, service, outcome, reason, offline)
) WITHOUT ROWID;
