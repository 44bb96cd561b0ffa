-- The sealed parts of a small message (content and attachments, packed as the
-- envelope packs them), kept in its row instead of the blob store: the message
-- then commits in one synced write, with no blob file, folder or upload note to
-- sync first. NULL: its parts are blobs `<public id>/<part>` (messages sent before
-- this, larger ones) or travel only in the envelope.
ALTER TABLE messages ADD COLUMN sealed_parts BYTEA;
