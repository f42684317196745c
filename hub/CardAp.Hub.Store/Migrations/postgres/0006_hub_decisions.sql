-- Online-only operations (ADR 0011): the hub's decision on a transaction pushed with confirm
-- set, taken once when the record was first stored and answered again to every retry.
CREATE TABLE sync_decisions (
    municipality varchar(6)   NOT NULL REFERENCES municipalities (code),
    terminal     varchar(64)  NOT NULL,
    seq          bigint       NOT NULL,
    accepted     boolean      NOT NULL,
    reason       varchar(64)  NULL,
    message_en   varchar(512) NULL,
    message_ja   varchar(512) NULL,
    decided_at   timestamptz  NOT NULL,
    PRIMARY KEY (municipality, terminal, seq)
);

-- Central checks read a member's records of one service across all terminals (a points balance).
CREATE INDEX ix_edge_transactions_member ON edge_transactions (municipality, service, member);
