-- The table SQLite keeps the bytes of queued emails in (../sqlite/0032, where an
-- update of the outbox row would write its email again). PostgreSQL keeps large
-- values aside by itself and does not write them again when other columns of the
-- row change, so here the email stays in `outbox.raw` (where nodes of the release
-- before read it during a rolling upgrade) and this table is empty unless rows were
-- copied in from SQLite; the outbox reads it first, then `outbox.raw`. It exists
-- so both databases have the same tables, for `sealpost copy database`.
CREATE TABLE outbox_mail (
    outbox_id BIGINT PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    -- The whole RFC 5322 message, as it goes on the wire; sealed when it carries a
    -- recipient's secret (domain::sealed_mail).
    raw       BYTEA  NOT NULL
);
