-- The master key's check (see `Services::check_master_key`): a random key wrapped
-- under the master key. A node started with another master key cannot unwrap it,
-- and refuses to start before it writes anything under the wrong key. One row.
CREATE TABLE master_key_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    wrapped    BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
