-- Schema of the embedded SQLite backend. Dates are milliseconds since the epoch (UTC);
-- ids are 24-hex ObjectIds; JSON values are stored as text.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL,
    -- The email lower-cased in Rust (Unicode-aware), unique: one account per address.
    email_key     TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE projects (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
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
    -- A stable integer key for the full-text and tag indexes (a plain rowid may change
    -- on VACUUM).
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
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
    tags           TEXT NOT NULL DEFAULT '[]',
    status         INTEGER NOT NULL,
    attributes     TEXT NOT NULL DEFAULT '{}',
    properties     TEXT,
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 0,
    -- The words of fullname and email, normalised in Rust; what full_text searches.
    search         TEXT NOT NULL DEFAULT ''
);

-- One index per sort field, led by the project scope and the status every list filters
-- on, so a page is an index range scan and the default page count an index-only count.
CREATE INDEX leads_by_created  ON leads (project_id, status, created_at, id);
CREATE INDEX leads_by_updated  ON leads (project_id, status, updated_at, id);
CREATE INDEX leads_by_fullname ON leads (project_id, status, fullname, id);
CREATE INDEX leads_by_email    ON leads (project_id, status, email, id);
CREATE INDEX leads_by_lead_id  ON leads (project_id, status, lead_id, id);
CREATE INDEX leads_by_email_key ON leads (project_id, email_key);

-- The tags of every lead, one row each, kept in step with leads.tags by triggers; the
-- `tags` filter is one index lookup per tag.
CREATE TABLE lead_tags (
    project_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    lead_seq   INTEGER NOT NULL,
    PRIMARY KEY (project_id, tag, lead_seq)
) WITHOUT ROWID;
CREATE INDEX lead_tags_by_lead ON lead_tags (lead_seq);

CREATE VIRTUAL TABLE leads_fts USING fts5 (
    search,
    content = 'leads',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER leads_after_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_tags (project_id, tag, lead_seq)
        SELECT new.project_id, value, new.seq FROM json_each(new.tags);
    INSERT INTO leads_fts (rowid, search) VALUES (new.seq, new.search);
END;

CREATE TRIGGER leads_after_update_tags AFTER UPDATE OF tags ON leads
WHEN old.tags IS NOT new.tags BEGIN
    DELETE FROM lead_tags WHERE lead_seq = old.seq;
    INSERT INTO lead_tags (project_id, tag, lead_seq)
        SELECT new.project_id, value, new.seq FROM json_each(new.tags);
END;

CREATE TRIGGER leads_after_update_search AFTER UPDATE OF search ON leads
WHEN old.search IS NOT new.search BEGIN
    INSERT INTO leads_fts (leads_fts, rowid, search) VALUES ('delete', old.seq, old.search);
    INSERT INTO leads_fts (rowid, search) VALUES (new.seq, new.search);
END;

CREATE TRIGGER leads_after_delete AFTER DELETE ON leads BEGIN
    DELETE FROM lead_tags WHERE lead_seq = old.seq;
    INSERT INTO leads_fts (leads_fts, rowid, search) VALUES ('delete', old.seq, old.search);
END;
