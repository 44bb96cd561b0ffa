-- The time zone a user reads dates in (an IANA name such as `Europe/Berlin`, as
-- chosen on their own page); NULL: UTC.
ALTER TABLE users ADD COLUMN time_zone TEXT;
