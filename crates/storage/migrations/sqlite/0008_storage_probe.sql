-- One row that `/healthz` rewrites: a real write through the same path as every
-- other (transaction, commit, sync to disk), so a full disk shows up there before
-- a person meets it, and its end is noticed without waiting for someone to write.
CREATE TABLE storage_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    written_at BIGINT  NOT NULL
);
