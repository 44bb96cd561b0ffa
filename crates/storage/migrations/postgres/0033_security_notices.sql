-- Security notices: a user whose two-step verification an administrator reset is
-- told by mail (outbox kind 'security_notice').
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('notification', 'activation', 'password_reset', 'read_receipt', 'bounce', 'security_notice'));
