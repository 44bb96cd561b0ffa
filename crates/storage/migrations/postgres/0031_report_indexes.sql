-- The Reports tab (storage::reports): an account's messages of a range of months,
-- read from the index alone (the id finds their recipients), so a year of 100,000
-- messages is one index range rather than every message of the account.
CREATE INDEX messages_account_created ON messages (account_id, created_at, id);
