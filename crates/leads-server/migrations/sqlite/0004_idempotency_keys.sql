-- Idempotency keys of creates: a key is written in the same transaction as the lead it
-- created, so a lead acknowledged under a key and its key survive or vanish together.
-- `fingerprint` is a hash of the request body; `response` the lead as first answered.
-- Keys older than a day are ignored and purged.
CREATE TABLE idempotency_keys (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    lead        TEXT NOT NULL,
    response    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (project_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
