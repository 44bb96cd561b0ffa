-- The address an account's notifications come from (DESIGN §4 flow 2). NULL means
-- the service-wide sender, shown with the account's name.
ALTER TABLE accounts ADD COLUMN sending_address TEXT;
