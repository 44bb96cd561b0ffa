-- The Reports tab (storage::reports), PostgreSQL flavour; keep in step with
-- ../sqlite/0031_report_months.sql. An account's messages counted per calendar
-- month (UTC, `YYYYMM`) of their sending, kept up to date by the writes that
-- change them (storage::reports::count_sent, count_on_message: a message sent,
-- a recipient notified, a message opened for the first time), so a year's report
-- reads twelve rows however many messages there are. Registrations and activations
-- of people an account had written to are noted once per person, account, month
-- and kind in `report_people` as their audit events are written
-- (storage::reports::count_person) and counted in `report_months`.
CREATE TABLE report_months (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      BIGINT NOT NULL,
    sent       BIGINT NOT NULL DEFAULT 0,
    notified   BIGINT NOT NULL DEFAULT 0,
    opened     BIGINT NOT NULL DEFAULT 0,
    registrations BIGINT NOT NULL DEFAULT 0,
    activations   BIGINT NOT NULL DEFAULT 0,
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

CREATE TABLE report_people (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      BIGINT NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('registered', 'activated')),
    email      TEXT    NOT NULL,
    PRIMARY KEY (account_id, month, kind, email)
);

-- The registrations and activations recorded before this migration, for every
-- account that had written to the person by then.
INSERT INTO report_people (account_id, month, kind, email)
SELECT DISTINCT m.account_id,
       CAST(to_char(to_timestamp(a.at / 1000) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT),
       CASE a.action WHEN 'user.registered' THEN 'registered' ELSE 'activated' END,
       a.target
FROM audit_events a
JOIN message_recipients r ON r.email = a.target
JOIN messages m ON m.id = r.message_id AND m.created_at <= a.at
WHERE a.account_id IS NULL AND a.action IN ('user.registered', 'user.activated') AND a.outcome = 'ok';

INSERT INTO report_months (account_id, month, registrations, activations)
SELECT account_id, month,
       SUM(CASE WHEN kind = 'registered' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'activated' THEN 1 ELSE 0 END)
FROM report_people
WHERE 1 = 1
GROUP BY account_id, month
ON CONFLICT (account_id, month) DO UPDATE
SET registrations = excluded.registrations, activations = excluded.activations;
