-- No Password Required (see `sealpost_crypto::secret`): per recipient of such a
-- message, the verifier of their secret and the data key wrapped under a key
-- derived from it. The secret itself is never stored.
CREATE TABLE recipient_secrets (
    message_id  BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    email       TEXT   NOT NULL,
    verifier    BYTEA  NOT NULL,
    wrapped_dek BYTEA  NOT NULL,
    PRIMARY KEY (message_id, verifier)
);

-- Crypto-shredding: whatever path destroys a message's data key (expiry,
-- account deletion) destroys these copies of it in the same statement.
CREATE FUNCTION recipient_secrets_shred() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM recipient_secrets WHERE message_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER recipient_secrets_shredded AFTER UPDATE OF wrapped_dek ON messages
    FOR EACH ROW WHEN (NEW.wrapped_dek IS NULL) EXECUTE FUNCTION recipient_secrets_shred();
