-- Schema of the PostgreSQL backend. Dates are milliseconds since the epoch (UTC), as on
-- SQLite, so both backends order and round alike. Only portable features are used: no
-- extensions, no triggers, no stored procedures; GIN indexes on a text[] column and on a
-- tsvector expression serve the tags and full-text filters.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    -- The email lower-cased in Rust, unique: one account per address.
    email_key     TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE projects (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL
        CHECK (role IN ('guest', 'user', 'teammate', 'agent', 'supervisor', 'admin', 'owner')),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE leads (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    lead_id        TEXT NOT NULL,
    fullname       TEXT,
    email          TEXT,
    email_key      TEXT,
    phone          TEXT,
    company        TEXT,
    note           TEXT,
    street_address TEXT,
    city           TEXT,
    region         TEXT,
    zipcode        TEXT,
    country        TEXT,
    tags           TEXT[] NOT NULL DEFAULT '{}',
    status         INTEGER NOT NULL,
    attributes     JSONB NOT NULL DEFAULT '{}',
    properties     JSONB,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 0,
    -- The words of fullname and email, normalised in Rust; what full_text searches.
    search         TEXT NOT NULL DEFAULT ''
);

-- One index per sort field, led by the project scope and the status every list filters
-- on. Ascending order puts missing values first (as MongoDB does), on both backends.
CREATE INDEX leads_by_created  ON leads (project_id, status, created_at, id);
CREATE INDEX leads_by_updated  ON leads (project_id, status, updated_at, id);
CREATE INDEX leads_by_fullname ON leads (project_id, status, fullname NULLS FIRST, id);
CREATE INDEX leads_by_email    ON leads (project_id, status, email NULLS FIRST, id);
CREATE INDEX leads_by_lead_id  ON leads (project_id, status, lead_id, id);
CREATE INDEX leads_by_email_key ON leads (project_id, email_key);
CREATE INDEX leads_by_tags     ON leads USING GIN (tags);
CREATE INDEX leads_by_search   ON leads USING GIN (to_tsvector('simple', search));
