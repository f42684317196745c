-- Usage counts per terminal, hour and kind of outcome, kept in step with usage_records in the
-- same transaction as each upload, so a report reads a few thousand counts instead of scanning a
-- month of records. Training records are not counted. reason is '' for operations done.
CREATE TABLE usage_rollup (
    municipality nchar(6)   NOT NULL REFERENCES municipalities (code),
    local_date   nvarchar(10) NOT NULL,
    local_hour   smallint    NOT NULL,
    site         nvarchar(64) NOT NULL,
    terminal     nvarchar(64) NOT NULL,
    service      nvarchar(64) NOT NULL,
    outcome      nvarchar(16) NOT NULL,
    reason       nvarchar(64) NOT NULL,
    offline      bit         NOT NULL,
    records      bigint      NOT NULL,
    PRIMARY KEY (municipality, local_date, local_hour, site, terminal, service, outcome, reason, offline)
);
