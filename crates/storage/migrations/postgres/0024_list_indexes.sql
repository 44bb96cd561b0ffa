-- The Audit tab (storage::audit::search_audit) lists an account's events newest
-- first by time, then id, and pages from a cursor on (at, id), so a deep page
-- reads as few rows as the first:
-- the order, the date range and the cursor;
CREATE INDEX audit_events_account_at ON audit_events (account_id, at, id);
-- one kind of event (a range of actions: `group.` to `group/`), and its count;
CREATE INDEX audit_events_account_action ON audit_events (account_id, action, at, id);
-- one person's events.
CREATE INDEX audit_events_account_actor ON audit_events (account_id, actor_user_id, at, id);
