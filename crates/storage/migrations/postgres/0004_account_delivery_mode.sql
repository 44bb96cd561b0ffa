-- Where an account's sealed payloads go (DESIGN §5): 'stored', 'envelope' or 'link'.
-- NULL means the service-wide default (`delivery_mode` in the configuration).
ALTER TABLE accounts ADD COLUMN delivery_mode TEXT;
