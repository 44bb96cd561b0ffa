-- Security notices: a user whose two-step verification an administrator reset is
-- told by mail (outbox kind 'security_notice'). SQLite cannot alter a CHECK, so
-- `outbox` is rebuilt with the same rows. `outbox_mail` references it and would
-- lose its rows to the cascade when the old table is dropped, so it is rebuilt
-- beside it, referencing the new table; renaming the new tables carries that
-- reference along. The AUTOINCREMENT counter carries over, so no id is used twice.
CREATE TABLE outbox_0033 (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT    NOT NULL
        CHECK (kind IN ('notification', 'activation', 'password_reset', 'read_receipt', 'bounce',
                        'security_notice')),
    to_email          TEXT    NOT NULL,
    -- Stable across retries, so a relay can tell a redelivery apart.
    message_id_header TEXT    NOT NULL,
    -- Empty: the email is in `outbox_mail` (0032); rows copied in from PostgreSQL
    -- keep theirs here.
    raw               BLOB    NOT NULL,
    message_id        INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    -- Who hears about a permanent failure, and in which language.
    bounce_to         TEXT,
    bounce_locale     TEXT,
    status            TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    -- While `sending`: until when the claiming worker owns the row. A lease that
    -- ran out (the worker crashed) makes the row claimable again.
    lease_until       INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    sent_at           INTEGER
);
INSERT INTO outbox_0033 (id, kind, to_email, message_id_header, raw, message_id, bounce_to, bounce_locale,
                         status, attempts, next_attempt_at, lease_until, last_error, created_at, sent_at)
    SELECT id, kind, to_email, message_id_header, raw, message_id, bounce_to, bounce_locale,
           status, attempts, next_attempt_at, lease_until, last_error, created_at, sent_at
    FROM outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox_0033';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_0033', seq FROM sqlite_sequence WHERE name = 'outbox';

CREATE TABLE outbox_mail_0033 (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox_0033 (id) ON DELETE CASCADE,
    -- The whole RFC 5322 message, as it goes on the wire; sealed when it carries a
    -- recipient's secret (domain::sealed_mail).
    raw       BLOB    NOT NULL
);
INSERT INTO outbox_mail_0033 (outbox_id, raw) SELECT outbox_id, raw FROM outbox_mail;

DROP TABLE outbox_mail;
DROP TABLE outbox;
ALTER TABLE outbox_0033 RENAME TO outbox;
ALTER TABLE outbox_mail_0033 RENAME TO outbox_mail;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
