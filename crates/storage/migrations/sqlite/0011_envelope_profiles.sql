-- Envelope profiles (the BCE Config tab, see `sealpost_domain::profiles`): per
-- account one default and any number of named ones. Booleans are 0/1 integers.
CREATE TABLE envelope_profiles (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             TEXT   NOT NULL,
    is_default       INTEGER NOT NULL DEFAULT 0,
    -- high | medium | no_password
    security_level   TEXT   NOT NULL,
    remember_days    INTEGER NOT NULL,
    -- NULL: the service's configured delivery mode.
    delivery_mode    TEXT,
    -- MessageOptions bits, as messages.options: 1 reply, 2 reply all, 4 forward, 8 read receipt.
    options          INTEGER NOT NULL,
    expiry_days      INTEGER,
    file_name        TEXT   NOT NULL,
    subject          TEXT,
    help_url         TEXT,
    contact          TEXT,
    recipient_locale TEXT   NOT NULL,
    updated_at       BIGINT,
    UNIQUE (account_id, name)
);
-- At most one default per account.
CREATE UNIQUE INDEX envelope_profiles_one_default ON envelope_profiles (account_id) WHERE is_default = 1;

-- The delivery mode moves into the default profile. The `delivery_mode` setting
-- is no longer read for an account with a default profile; it stays for nodes of
-- the previous version during a rolling upgrade.
INSERT INTO envelope_profiles (account_id, name, is_default, security_level, remember_days, delivery_mode,
                               options, file_name, recipient_locale)
    SELECT s.account_id, 'Default', 1, 'medium', 30, s.value, 3, 'securedoc_${date}T${time}.html', a.default_locale
    FROM account_settings s JOIN accounts a ON a.id = s.account_id
    WHERE s.name = 'delivery_mode';

-- Which profile a message was sent with, and the security level it got (NULL:
-- sent before profiles, Medium).
ALTER TABLE messages ADD COLUMN profile_id INTEGER REFERENCES envelope_profiles (id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN security_level TEXT;

-- Devices a recipient asked to be remembered on ("Remember me on this device"):
-- a Medium profile's message opens there without the password until
-- `expires_at` (the profile's days). Only the hash of the cookie value is
-- kept; they end with the user's sessions (password change, lock).
CREATE TABLE remembered_devices (
    id_hash      TEXT   PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX remembered_devices_user ON remembered_devices (user_id);
