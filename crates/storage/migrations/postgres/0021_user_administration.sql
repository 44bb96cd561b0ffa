-- The user page (see `sealpost_domain::services::user_admin`): a lock's reason and
-- who set it (shown at login), where the last login came from, deletion, locks an
-- account's administrators set on their own account only, and the indexes of the
-- Users list's search by name and filter by status.
ALTER TABLE users ADD COLUMN locked_reason TEXT;
ALTER TABLE users ADD COLUMN locked_by BIGINT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN locked_at BIGINT;
ALTER TABLE users ADD COLUMN last_login_ip TEXT;
-- A deleted user keeps the row (their messages keep a sender and stay readable by
-- their other recipients), without password, sessions, memberships or rights.
ALTER TABLE users ADD COLUMN deleted_at BIGINT;

-- An account administrator's lock: the user may neither send from nor read that
-- account's messages, and is no member of it while it holds.
CREATE TABLE account_user_locks (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason     TEXT   NOT NULL,
    locked_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    locked_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX account_user_locks_user ON account_user_locks (user_id);

-- Names compare byte-wise, as on SQLite, so a name prefix is the same range on both.
ALTER TABLE users ALTER COLUMN first_name TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN last_name TYPE TEXT COLLATE "C";

-- The Users list: a name prefix (case-folded) or a status, in address order.
CREATE INDEX users_by_first_name ON users (lower(first_name), email);
CREATE INDEX users_by_last_name ON users (lower(last_name), email);
CREATE INDEX users_by_status ON users (status, email);
