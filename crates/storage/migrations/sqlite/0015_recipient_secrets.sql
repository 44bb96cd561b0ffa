-- No Password Required (see `sealpost_crypto::secret`): per recipient of such a
-- message, the verifier of their secret and the data key wrapped under a key
-- derived from it. The secret itself is never stored.
CREATE TABLE recipient_secrets (
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL,
    verifier    BLOB    NOT NULL,
    wrapped_dek BLOB    NOT NULL,
    PRIMARY KEY (message_id, verifier)
);

-- Crypto-shredding: whatever path destroys a message's data key (expiry,
-- account deletion) destroys these copies of it in the same statement.
CREATE TRIGGER recipient_secrets_shredded AFTER UPDATE OF wrapped_dek ON messages
    WHEN NEW.wrapped_dek IS NULL
BEGIN
    DELETE FROM recipient_secrets WHERE message_id = NEW.id;
END;
