-- Two-step verification (TOTP), its recovery codes, logins waiting for their
-- second step, and where each session was opened from.

-- A user's TOTP secret, sealed under a key derived from the master key and bound
-- to the user. `enabled_at` NULL: set up, waiting for the first right code.
-- `last_step`: the newest time step whose code was accepted (a code works once).
CREATE TABLE totp_secrets (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed     BYTEA   NOT NULL,
    created_at BIGINT  NOT NULL,
    enabled_at BIGINT,
    last_step  BIGINT
);

-- Recovery codes: SHA-256 of each (random, long), usable once.
CREATE TABLE recovery_codes (
    user_id   BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Logins whose password was right and whose second step is due (hash of the
-- cookie value). Not sessions: they open no page but the second step's.
CREATE TABLE two_step_challenges (
    id_hash       TEXT    PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL CHECK (purpose IN ('verify', 'enrol')),
    password_hash TEXT    NOT NULL,
    expires_at    BIGINT  NOT NULL
);
CREATE INDEX two_step_challenges_expires_at ON two_step_challenges (expires_at);

-- The client address a session was opened from (the security page lists it).
ALTER TABLE sessions ADD COLUMN client TEXT;
