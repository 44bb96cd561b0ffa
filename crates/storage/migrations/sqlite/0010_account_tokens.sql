-- Account tokens (see `sealpost_domain::account_tokens`): only the SHA-256 of the
-- whole secret is kept; the public id finds the row and is shown in lists.
CREATE TABLE account_tokens (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    public_id      TEXT   NOT NULL UNIQUE,
    secret_hash    TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    -- Comma-separated scope names, and client networks (empty: anywhere).
    scopes         TEXT   NOT NULL,
    networks       TEXT   NOT NULL,
    expires_at     BIGINT,
    created_by     INTEGER,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    last_used_from TEXT,
    revoked_at     BIGINT
);
CREATE INDEX account_tokens_by_account ON account_tokens (account_id, created_at);
