-- The tag table keyed the way a list by tag reads it: project, tag, status, then the
-- default sort (creation date, id). A page of leads carrying a tag, in creation order, is
-- one range of this index, and its count another, so neither touches a lead that lacks
-- the tag. Triggers keep the status in step with the lead's; the creation date and id
-- never change.

DROP TRIGGER leads_after_insert;
DROP TRIGGER leads_after_update_tags;
DROP TRIGGER leads_after_delete;
DROP TABLE lead_tags;

CREATE TABLE lead_tags (
    project_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    status     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    id         TEXT NOT NULL,
    lead_seq   INTEGER NOT NULL,
    PRIMARY KEY (project_id, tag, status, created_at, id)
) WITHOUT ROWID;
CREATE INDEX lead_tags_by_lead ON lead_tags (lead_seq);

INSERT INTO lead_tags (project_id, tag, status, created_at, id, lead_seq)
    SELECT l.project_id, t.value, l.status, l.created_at, l.id, l.seq
    FROM leads l, json_each(l.tags) t;

CREATE TRIGGER leads_after_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_tags (project_id, tag, status, created_at, id, lead_seq)
        SELECT new.project_id, value, new.status, new.created_at, new.id, new.seq
        FROM json_each(new.tags);
    INSERT INTO leads_fts (rowid, search) VALUES (new.seq, new.search);
END;

CREATE TRIGGER leads_after_update_tags AFTER UPDATE OF tags ON leads
WHEN old.tags IS NOT new.tags BEGIN
    DELETE FROM lead_tags WHERE lead_seq = old.seq;
    INSERT INTO lead_tags (project_id, tag, status, created_at, id, lead_seq)
        SELECT new.project_id, value, new.status, new.created_at, new.id, new.seq
        FROM json_each(new.tags);
END;

CREATE TRIGGER leads_after_update_tag_status AFTER UPDATE OF status ON leads
WHEN old.status IS NOT new.status BEGIN
    UPDATE lead_tags SET status = new.status WHERE lead_seq = old.seq;
END;

CREATE TRIGGER leads_after_delete AFTER DELETE ON leads BEGIN
    DELETE FROM lead_tags WHERE lead_seq = old.seq;
    INSERT INTO leads_fts (leads_fts, rowid, search) VALUES ('delete', old.seq, old.search);
END;
