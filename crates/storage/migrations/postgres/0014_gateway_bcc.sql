-- The SMTP gateway: envelope recipients missing from To and Cc are stored as
-- 'bcc', shown to nobody but the sender.
ALTER TABLE message_recipients DROP CONSTRAINT message_recipients_kind_check;
ALTER TABLE message_recipients ADD CONSTRAINT message_recipients_kind_check CHECK (kind IN ('to', 'cc', 'bcc'));
