-- Per-account settings, a row each (see `sealpost_domain::settings`): a new setting
-- is a new name, not a new column. No row: the service's default applies.
CREATE TABLE account_settings (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    value      TEXT   NOT NULL,
    PRIMARY KEY (account_id, name)
);

-- The delivery mode moves here. `accounts.delivery_mode` is no longer read or
-- written; it stays for nodes of the previous version during a rolling upgrade.
INSERT INTO account_settings (account_id, name, value)
    SELECT id, 'delivery_mode', delivery_mode FROM accounts WHERE delivery_mode IS NOT NULL;
