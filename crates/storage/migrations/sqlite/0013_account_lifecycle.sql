-- Accounts operators manage (see `sealpost_domain::services::account_admin`):
-- suspension (no new messages; `status` says 'suspended' too, as 0001 foresaw) and
-- deletion. A deleted account keeps its row (number, name, when) so that its audit
-- trail stays readable by operators; its groups, settings, tokens and keys are gone
-- and every look-up of a live account passes over it.
ALTER TABLE accounts ADD COLUMN suspended_at INTEGER;
ALTER TABLE accounts ADD COLUMN deleted_at INTEGER;

-- The Accounts list sorted by name (case-folded, then number) reads from here, a page
-- at a time; the sort by number uses the UNIQUE index on number.
CREATE INDEX accounts_by_name ON accounts (lower(name), number);
