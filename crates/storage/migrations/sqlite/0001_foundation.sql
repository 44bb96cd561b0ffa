-- Sealpost foundation schema, SQLite flavour. Keep in step with
-- ../postgres/0001_foundation.sql: same tables, columns and meaning.
--
-- Conventions: ids are INTEGER PRIMARY KEY AUTOINCREMENT (never reused, like
-- PostgreSQL identities); times are INTEGER unix milliseconds (UTC); booleans are
-- INTEGER 0/1, because sqlx's Any driver cannot read columns declared BOOLEAN on
-- SQLite. Text compares byte-wise (BINARY), as the C collation does on PostgreSQL,
-- so keyset pagination and prefix ranges order alike on both backends.

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Lower-cased by the domain before it gets here, so UNIQUE is case-insensitive.
    email                TEXT    NOT NULL UNIQUE,
    first_name           TEXT    NOT NULL,
    last_name            TEXT    NOT NULL,
    password_hash        TEXT,
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'active', 'locked')),
    must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    locale               TEXT,
    created_by           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at           INTEGER NOT NULL,
    last_login_at        INTEGER,
    -- The target of group_members' (user_id, user_email) foreign key.
    UNIQUE (id, email)
);
-- "The users this administrator created", in address order.
CREATE INDEX users_created_by ON users (created_by, email);

CREATE TABLE operators (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         INTEGER NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    default_locale TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE groups (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    builtin    INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE group_members (
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    -- A copy of the member's address, so a group's members can be read in address
    -- order straight from an index (a page costs the same with 10 or 100,000
    -- members). The foreign key keeps it equal to users.email, also on change.
    user_email TEXT    NOT NULL,
    added_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (user_id, user_email) REFERENCES users (id, email)
        ON DELETE CASCADE ON UPDATE CASCADE
);
-- A group's members in address order (member list, administrators' users list).
CREATE INDEX group_members_group_email ON group_members (group_id, user_email, user_id);
-- "Which groups is this user in" (administered_accounts, visibility filter).
CREATE INDEX group_members_user_id ON group_members (user_id);

CREATE TABLE sessions (
    -- Only the hash of the cookie value is stored.
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('full', 'password_change_only')),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
-- Ending every session of a user (password change, lock).
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE login_throttle (
    key             TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);

-- No foreign keys: the trail outlives the users and accounts it mentions.
CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    actor_user_id INTEGER,
    account_id    INTEGER,
    action        TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    ip            TEXT,
    outcome       TEXT    NOT NULL
);
-- An account's newest events first.
CREATE INDEX audit_events_account_id ON audit_events (account_id, id);
