-- Passkeys (WebAuthn), the second kind of second factor, and the ceremonies
-- between their two requests.

-- A user's passkey: the credential as webauthn-rs serialises it (public key,
-- counter; nothing secret), the name the user gave it.
CREATE TABLE passkeys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    credential   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX passkeys_user_id ON passkeys (user_id);

-- A ceremony between its options and the browser's answer (hash of the token the
-- form carries), kept here so any node can finish it; taken once, expires.
CREATE TABLE passkey_ceremonies (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('register', 'login')),
    state      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX passkey_ceremonies_expires_at ON passkey_ceremonies (expires_at);
