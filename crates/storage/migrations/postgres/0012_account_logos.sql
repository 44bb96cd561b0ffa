-- An account's logo (see `sealpost_domain::branding`): the PNG re-encoded from the
-- administrator's upload, at most 600x200 pixels. One row per account that has one;
-- the display name and colour are account settings.
CREATE TABLE account_logos (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    png        BYTEA  NOT NULL,
    updated_at BIGINT NOT NULL
);
