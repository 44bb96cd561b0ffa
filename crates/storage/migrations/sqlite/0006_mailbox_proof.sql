-- Who may read what (SQLite flavour; keep in step with ../postgres/0006_mailbox_proof.sql).
--
-- The right to read what was sent to an address comes only from proof of that
-- mailbox: a link sent to it and used. Creating a user, or setting its password,
-- proves nothing.

-- When the user last proved the mailbox (an activation, reset or proof link used);
-- NULL: never, and no message addressed to this user opens for them.
ALTER TABLE users ADD COLUMN mailbox_verified_at INTEGER;

-- Users whose activation or reset link was used have proven their mailbox already.
UPDATE users SET mailbox_verified_at = (
    SELECT MIN(t.used_at) FROM one_time_tokens t
    WHERE t.user_id = users.id AND t.used_at IS NOT NULL
);

-- A mailbox-proof link is bound to the session that asked for it: clicked from
-- any other browser it proves nothing (the person who asked may not own the mailbox).
ALTER TABLE one_time_tokens ADD COLUMN session_hash TEXT;

-- One row per registration attempt: the password (and names, language) chosen in
-- that attempt travel with its link, never into the user until the link is used.
-- Using one link activates exactly its attempt and ends every other one.
CREATE TABLE registrations (
    -- SHA-256 of the link's token.
    token_hash    TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_name    TEXT    NOT NULL,
    last_name     TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    locale        TEXT,
    expires_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX registrations_user_id ON registrations (user_id);

-- Activation links sent before this migration keep working, with the password
-- their (last) attempt stored on the pending user.
INSERT INTO registrations (token_hash, user_id, first_name, last_name, password_hash, locale, expires_at, created_at)
SELECT t.hash, t.user_id, u.first_name, u.last_name, u.password_hash, u.locale, t.expires_at, t.created_at
FROM one_time_tokens t JOIN users u ON u.id = t.user_id
WHERE t.purpose = 'activation' AND t.used_at IS NULL AND u.status = 'pending' AND u.password_hash IS NOT NULL;
DELETE FROM one_time_tokens WHERE purpose = 'activation' AND used_at IS NULL;
-- A pending user holds no password: it only ever lives in an attempt.
UPDATE users SET password_hash = NULL WHERE status = 'pending';

-- A sending address takes effect only once a link sent to it was used: until then
-- it waits here, with the hash of that link's token.
ALTER TABLE accounts ADD COLUMN pending_sending_address TEXT;
ALTER TABLE accounts ADD COLUMN sending_confirm_hash TEXT;
ALTER TABLE accounts ADD COLUMN sending_confirm_expires_at INTEGER;
-- Addresses set before this migration were never confirmed: they wait too.
UPDATE accounts SET pending_sending_address = sending_address, sending_address = NULL
WHERE sending_address IS NOT NULL;
