-- The Reports tab (storage::reports), SQLite flavour; keep in step with
-- ../postgres/0031_report_months.sql. An account's messages counted per calendar
-- month (UTC, `YYYYMM`) of their sending, kept up to date by the writes that
-- change them (storage::reports::count_message and its callers: a message sent,
-- a recipient notified, a message opened for the first time), so a year's report
-- reads twelve rows however many messages there are.
CREATE TABLE report_months (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      INTEGER NOT NULL,
    sent       INTEGER NOT NULL DEFAULT 0,
    notified   INTEGER NOT NULL DEFAULT 0,
    opened     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, month)
);

-- The messages sent before this migration.
INSERT INTO report_months (account_id, month, sent, notified, opened)
SELECT m.account_id,
       CAST(strftime('%Y%m', m.created_at / 1000, 'unixepoch') AS INTEGER),
       COUNT(*),
       SUM((SELECT COUNT(*) FROM message_recipients r
            WHERE r.message_id = m.id AND r.notified_at IS NOT NULL)),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM message_recipients r
                             WHERE r.message_id = m.id AND r.opened_at IS NOT NULL) THEN 1 ELSE 0 END)
FROM messages m
GROUP BY 1, 2;
