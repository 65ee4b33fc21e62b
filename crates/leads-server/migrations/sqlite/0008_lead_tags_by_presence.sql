-- The tag table and its counters gain the two presence filters a list may combine with a
-- tag: whether the lead has an email (`with_email`) and a non-empty full name
-- (`with_fullname`). A list by one tag and either filter then reads its page from the tag
-- table's range alone and its `count` from at most four counter rows, instead of reading
-- every lead of the tag. Each presence is stated exactly as the list's SQL filters and the
-- project counters state it (`email_key IS NOT NULL`; `fullname` neither NULL nor empty).

ALTER TABLE lead_tags ADD COLUMN has_email INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lead_tags ADD COLUMN has_fullname INTEGER NOT NULL DEFAULT 0;

UPDATE lead_tags SET
    has_email = (SELECT l.email_key IS NOT NULL FROM leads l WHERE l.seq = lead_tags.lead_seq),
    has_fullname = (SELECT COALESCE(l.fullname, '') <> '' FROM leads l
                    WHERE l.seq = lead_tags.lead_seq);

DROP TRIGGER leads_after_insert;
DROP TRIGGER leads_after_update_tags;

CREATE TRIGGER leads_after_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_tags (project_id, tag, status, created_at, id, lead_seq, has_email,
                           has_fullname)
        SELECT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> ''
        FROM json_each(new.tags);
    INSERT INTO leads_fts (rowid, search) VALUES (new.seq, new.search);
END;

CREATE TRIGGER leads_after_update_tags AFTER UPDATE OF tags ON leads
WHEN old.tags IS NOT new.tags BEGIN
    DELETE FROM lead_tags WHERE lead_seq = old.seq;
    INSERT INTO lead_tags (project_id, tag, status, created_at, id, lead_seq, has_email,
                           has_fullname)
        SELECT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> ''
        FROM json_each(new.tags);
END;

CREATE TRIGGER leads_after_update_tag_presence AFTER UPDATE OF email_key, fullname ON leads
WHEN (old.email_key IS NOT NULL) IS NOT (new.email_key IS NOT NULL)
    OR (COALESCE(old.fullname, '') <> '') IS NOT (COALESCE(new.fullname, '') <> '')
BEGIN
    UPDATE lead_tags SET has_email = new.email_key IS NOT NULL,
                         has_fullname = COALESCE(new.fullname, '') <> ''
        WHERE lead_seq = old.seq;
END;

DROP TRIGGER lead_tag_counts_after_insert;
DROP TRIGGER lead_tag_counts_after_delete;
DROP TRIGGER lead_tag_counts_after_update_status;
DROP TABLE lead_tag_counts;

CREATE TABLE lead_tag_counts (
    project_id   TEXT NOT NULL,
    tag          TEXT NOT NULL,
    status       INTEGER NOT NULL,
    has_email    INTEGER NOT NULL,
    has_fullname INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (project_id, tag, status, has_email, has_fullname)
) WITHOUT ROWID;

INSERT INTO lead_tag_counts (project_id, tag, status, has_email, has_fullname, n)
    SELECT project_id, tag, status, has_email, has_fullname, COUNT(*) FROM lead_tags
    GROUP BY project_id, tag, status, has_email, has_fullname;

CREATE TRIGGER lead_tag_counts_after_insert AFTER INSERT ON lead_tags BEGIN
    INSERT INTO lead_tag_counts (project_id, tag, status, has_email, has_fullname, n)
        VALUES (new.project_id, new.tag, new.status, new.has_email, new.has_fullname, 1)
        ON CONFLICT (project_id, tag, status, has_email, has_fullname) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER lead_tag_counts_after_delete AFTER DELETE ON lead_tags BEGIN
    UPDATE lead_tag_counts SET n = n - 1
        WHERE project_id = old.project_id AND tag = old.tag AND status = old.status
          AND has_email = old.has_email AND has_fullname = old.has_fullname;
    DELETE FROM lead_tag_counts
        WHERE project_id = old.project_id AND tag = old.tag AND status = old.status
          AND has_email = old.has_email AND has_fullname = old.has_fullname AND n <= 0;
END;

CREATE TRIGGER lead_tag_counts_after_update AFTER UPDATE OF status, has_email, has_fullname
ON lead_tags
WHEN old.status IS NOT new.status OR old.has_email IS NOT new.has_email
    OR old.has_fullname IS NOT new.has_fullname
BEGIN
    UPDATE lead_tag_counts SET n = n - 1
        WHERE project_id = old.project_id AND tag = old.tag AND status = old.status
          AND has_email = old.has_email AND has_fullname = old.has_fullname;
    DELETE FROM lead_tag_counts
        WHERE project_id = old.project_id AND tag = old.tag AND status = old.status
          AND has_email = old.has_email AND has_fullname = old.has_fullname AND n <= 0;
    INSERT INTO lead_tag_counts (project_id, tag, status, has_email, has_fullname, n)
        VALUES (new.project_id, new.tag, new.status, new.has_email, new.has_fullname, 1)
        ON CONFLICT (project_id, tag, status, has_email, has_fullname) DO UPDATE SET n = n + 1;
END;
