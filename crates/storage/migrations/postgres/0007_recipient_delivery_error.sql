-- Why a recipient's notification could not be delivered, once the outbox gave up
-- on it (the relay's reply, as the sender's bounce quotes it): the sender's
-- tracking page shows it instead of "Not opened yet". Set in the transaction that
-- marks the outbox row failed.
ALTER TABLE message_recipients ADD COLUMN delivery_error TEXT;

-- Notifications that failed before this column existed.
UPDATE message_recipients SET delivery_error = (
    SELECT o.last_error FROM outbox o
    WHERE o.message_id = message_recipients.message_id AND o.to_email = message_recipients.email
      AND o.kind = 'notification' AND o.status = 'failed'
    ORDER BY o.id DESC LIMIT 1
)
WHERE EXISTS (
    SELECT 1 FROM outbox o
    WHERE o.message_id = message_recipients.message_id AND o.to_email = message_recipients.email
      AND o.kind = 'notification' AND o.status = 'failed'
);
