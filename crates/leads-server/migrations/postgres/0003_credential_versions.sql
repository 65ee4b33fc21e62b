-- A user's credential version: bumped with every password change. Tokens and cached Basic
-- verifications carry the version they were issued for, and every request reads the
-- current one in the same query as the caller's role, so a change revokes them at once,
-- on every server that shares the database.
ALTER TABLE users ADD COLUMN credential_version BIGINT NOT NULL DEFAULT 0;
