-- Online-only operations (ADR 0011): the hub's decision on a transaction pushed with confirm
-- set, taken once when the record was first stored and answered again to every retry.
CREATE TABLE sync_decisions (
    municipality nchar(6)      NOT NULL REFERENCES municipalities (code),
    terminal     nvarchar(64)  NOT NULL,
    seq          bigint        NOT NULL,
    accepted     bit           NOT NULL,
    reason       nvarchar(64)  NULL,
    message_en   nvarchar(512) NULL,
    message_ja   nvarchar(512) NULL,
    decided_at   datetimeoffset(7) NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- Central checks read a member's records of one service across all terminals (a points balance).
CREATE INDEX ix_edge_transactions_member ON edge_transactions (municipality, service, member);
