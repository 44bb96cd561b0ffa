-- Refused compose drafts waiting an hour for their corrected form, which may reach
-- any node. The token the form carries is stored only as its hash. The draft's
-- attachments stay in the blob store under its public id (noted in
-- pending_uploads); what else it holds (attachment names, the original it
-- answers, what a forward quotes) is `sealed` with the draft's data key, which
-- is stored wrapped by the account key. Taking a draft back deletes its row.
CREATE TABLE kept_drafts (
    token_hash  TEXT   PRIMARY KEY,
    public_id   BLOB   NOT NULL UNIQUE CHECK (length(public_id) = 16),
    sender_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key_version BIGINT NOT NULL,
    wrapped_dek BLOB  NOT NULL,
    sealed      BLOB  NOT NULL,
    kept_at     BIGINT NOT NULL
);
CREATE INDEX kept_drafts_sender ON kept_drafts (sender_id);
CREATE INDEX kept_drafts_kept_at ON kept_drafts (kept_at);
