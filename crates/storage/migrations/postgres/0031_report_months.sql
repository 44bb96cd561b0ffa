-- The Reports tab (storage::reports), PostgreSQL flavour; keep in step with
-- ../sqlite/0031_report_months.sql. An account's messages counted per calendar
-- month (UTC, `YYYYMM`) of their sending, kept up to date by the writes that
-- change them (storage::reports::count_message and its callers: a message sent,
-- a recipient notified, a message opened for the first time), so a year's report
-- reads twelve rows however many messages there are.
CREATE TABLE report_months (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      BIGINT NOT NULL,
    sent       BIGINT NOT NULL DEFAULT 0,
    notified   BIGINT NOT NULL DEFAULT 0,
    opened     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, month)
);

-- The messages sent before this migration.
INSERT INTO report_months (account_id, month, sent, notified, opened)
SELECT m.account_id,
       CAST(to_char(to_timestamp(m.created_at / 1000) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT),
       COUNT(*),
       SUM((SELECT COUNT(*) FROM message_recipients r
            WHERE r.message_id = m.id AND r.notified_at IS NOT NULL)),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM message_recipients r
                             WHERE r.message_id = m.id AND r.opened_at IS NOT NULL) THEN 1 ELSE 0 END)
FROM messages m
GROUP BY 1, 2;
