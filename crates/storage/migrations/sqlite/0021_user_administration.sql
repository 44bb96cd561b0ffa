-- The user page (see `sealpost_domain::services::user_admin`): a lock's reason and
-- who set it (shown at login), where the last login came from, deletion, locks an
-- account's administrators set on their own account only, and the indexes of the
-- Users list's search by name and filter by status.
ALTER TABLE users ADD COLUMN locked_reason TEXT;
ALTER TABLE users ADD COLUMN locked_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN locked_at INTEGER;
ALTER TABLE users ADD COLUMN last_login_ip TEXT;
-- A deleted user keeps the row (their messages keep a sender and stay readable by
-- their other recipients), without password, sessions, memberships or rights.
ALTER TABLE users ADD COLUMN deleted_at INTEGER;

-- An account administrator's lock: the user may neither send from nor read that
-- account's messages, and is no member of it while it holds.
CREATE TABLE account_user_locks (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason     TEXT    NOT NULL,
    locked_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    locked_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX account_user_locks_user ON account_user_locks (user_id);

-- The Users list: a name prefix (case-folded) or a status, in address order.
CREATE INDEX users_by_first_name ON users (lower(first_name), email);
CREATE INDEX users_by_last_name ON users (lower(last_name), email);
CREATE INDEX users_by_status ON users (status, email);
