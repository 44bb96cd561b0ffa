-- The bytes of each queued email in a table of their own, beside its outbox row
-- (storage::outbox). A claim and a delivery record each update the outbox row, and
-- SQLite writes an updated row again whole, its overflow pages included: with the
-- rendered email (tens of KB, the envelope attached) in the row, every claim and
-- every delivery record wrote that much again to the write-ahead log (about 66 KB
-- for a 30 KB email), which under a burst of gateway mail was most of what the disk
-- wrote. PostgreSQL keeps large values aside by itself and updates them only when
-- they change: there the email stays in `outbox.raw` (../postgres/0032).
--
-- `outbox.raw` stays, empty here, for a release (docs/DEPLOYMENT.md, Upgrades);
-- rows copied in from PostgreSQL keep theirs there, and the outbox reads
-- `outbox_mail` first, then `outbox.raw`.
CREATE TABLE outbox_mail (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    -- The whole RFC 5322 message, as it goes on the wire; sealed when it carries a
    -- recipient's secret (domain::sealed_mail).
    raw       BLOB    NOT NULL
);

INSERT INTO outbox_mail (outbox_id, raw) SELECT id, raw FROM outbox;

UPDATE outbox SET raw = x'';
