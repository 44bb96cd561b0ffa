-- The SMTP gateway: envelope recipients missing from To and Cc are stored as
-- 'bcc', shown to nobody but the sender. SQLite cannot alter a CHECK, so the
-- table is rebuilt with the same rows (nothing references it).
CREATE TABLE message_recipients_0014 (
    message_id     INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    email          TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('to', 'cc', 'bcc')),
    opened_at      INTEGER,
    notified_at    INTEGER,
    delivery_error TEXT,
    PRIMARY KEY (message_id, email)
);
INSERT INTO message_recipients_0014 (message_id, position, email, kind, opened_at, notified_at, delivery_error)
    SELECT message_id, position, email, kind, opened_at, notified_at, delivery_error FROM message_recipients;
DROP TABLE message_recipients;
ALTER TABLE message_recipients_0014 RENAME TO message_recipients;
CREATE INDEX message_recipients_email ON message_recipients (email, message_id);
