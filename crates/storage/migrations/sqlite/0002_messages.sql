-- Secure messages, SQLite flavour. Keep in step with ../postgres/0002_messages.sql:
-- same tables, columns and meaning. Conventions as in 0001_foundation.sql; binary
-- values (wrapped keys, sealed bytes, rendered mail) are BLOB.
--
-- Nothing here is plaintext: subjects are sealed, data keys are wrapped under the
-- account key, account keys under the master key, and outbox mail only says *that*
-- a message arrived.

-- Versioned account keys, wrapped under the master key. Never updated: rotating
-- adds a version.
CREATE TABLE account_keys (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, version)
);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The random 128-bit id people see in links and envelopes.
    public_id      BLOB    NOT NULL UNIQUE CHECK (length(public_id) = 16),
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sender_id      INTEGER NOT NULL REFERENCES users (id),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,
    locked_at      INTEGER,
    -- Shown to recipients while the message is locked.
    lock_reason    TEXT,
    -- MessageOptions bits: 1 reply, 2 reply all, 4 forward, 8 read receipt.
    options        INTEGER NOT NULL DEFAULT 0,
    mode           TEXT    NOT NULL CHECK (mode IN ('stored', 'envelope', 'link')),
    -- The data key wrapped under account key `key_version`; NULL once destroyed
    -- (crypto-shredding): no copy of the message can be opened after that.
    wrapped_dek    BLOB,
    key_version    INTEGER NOT NULL,
    sealed_subject BLOB    NOT NULL,
    part_count     INTEGER NOT NULL,
    payload_len    INTEGER NOT NULL,
    in_reply_to    INTEGER REFERENCES messages (id) ON DELETE SET NULL
);
-- A sender's messages, newest first (keyset pages).
CREATE INDEX messages_sender ON messages (sender_id, id DESC);
-- An account's messages, newest first (its administrators' view).
CREATE INDEX messages_account ON messages (account_id, id DESC);
-- Messages whose key the shredder still has to destroy, by expiry.
CREATE INDEX messages_expiry ON messages (expires_at) WHERE wrapped_dek IS NOT NULL;

CREATE TABLE message_recipients (
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- Where the address stood in the sender's list.
    position    INTEGER NOT NULL,
    -- Lower-cased by the domain, as users.email.
    email       TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('to', 'cc')),
    opened_at   INTEGER,
    notified_at INTEGER,
    PRIMARY KEY (message_id, email)
);
-- A recipient's messages, newest first (keyset pages).
CREATE INDEX message_recipients_email ON message_recipients (email, message_id);

-- Mail to send, written in the transaction of the change that caused it (DESIGN §7).
CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT    NOT NULL
        CHECK (kind IN ('notification', 'activation', 'password_reset', 'read_receipt', 'bounce')),
    to_email          TEXT    NOT NULL,
    -- Stable across retries, so a relay can tell a redelivery apart.
    message_id_header TEXT    NOT NULL,
    -- The whole RFC 5322 message, as it goes on the wire.
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
-- What is due: the worker's claim.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Activation and password reset links. Only the hash of the token is stored.
CREATE TABLE one_time_tokens (
    hash       TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('activation', 'password_reset')),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX one_time_tokens_user_id ON one_time_tokens (user_id);
