-- Messages being composed whose parts are already in the blob store. A row is
-- added before the first blob is written and goes in the same transaction as the
-- message itself, or when the draft is discarded. A row left behind (a crash, a
-- restart while refused drafts were kept) names blobs no message will ever own;
-- the hourly housekeeping deletes them once the row is a day old.
CREATE TABLE pending_uploads (
    public_id  BLOB  PRIMARY KEY CHECK (length(public_id) = 16),
    started_at BIGINT NOT NULL
);
