-- The Users list's search by name (storage::users::list_users) reads the range of
-- a typed prefix in one of these and keeps its first page in address order. Only
-- live users are listed, so the indexes hold only them (deleted users keep their
-- row), and they carry the address, status and id: the range and its sort read the
-- index alone, never a row of the table (at 100,000 users a search that matched
-- 5,000 names looked each row up to learn it was not deleted).
DROP INDEX users_by_first_name;
DROP INDEX users_by_last_name;
CREATE INDEX users_live_by_first_name ON users (lower(first_name), email, status, id) WHERE deleted_at IS NULL;
CREATE INDEX users_live_by_last_name ON users (lower(last_name), email, status, id) WHERE deleted_at IS NULL;
