-- Every row of the term tables (`lead_tags`, `lead_words`) also holds its lead's sort
-- keys: full name, email, lead id and update date. A list by a term in any order then
-- reads and sorts the term's range alone, instead of joining each match to its lead for
-- the field it is sorted by; only the page's own rows are read whole.
--
-- One trigger now mirrors every listed field of a lead (status, presence of an email and
-- of a full name, sort keys) into its term rows; it replaces the two that mirrored the
-- status and the presence.

ALTER TABLE lead_tags ADD COLUMN fullname TEXT;
ALTER TABLE lead_tags ADD COLUMN email TEXT;
ALTER TABLE lead_tags ADD COLUMN lead_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lead_tags ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lead_words ADD COLUMN fullname TEXT;
ALTER TABLE lead_words ADD COLUMN email TEXT;
ALTER TABLE lead_words ADD COLUMN lead_id TEXT NOT NULL DEFAULT '';
ALTER TABLE lead_words ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

UPDATE lead_tags
    SET fullname = l.fullname, email = l.email, lead_id = l.lead_id, updated_at = l.updated_at
    FROM leads l WHERE l.seq = lead_tags.lead_seq;
UPDATE lead_words
    SET fullname = l.fullname, email = l.email, lead_id = l.lead_id, updated_at = l.updated_at
    FROM leads l WHERE l.seq = lead_words.lead_seq;

DROP TRIGGER leads_after_insert;
DROP TRIGGER leads_after_update_tags;
DROP TRIGGER leads_after_update_search;
DROP TRIGGER leads_after_update_status;
DROP TRIGGER leads_after_update_presence;

CREATE TRIGGER leads_after_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_tags (project_id, tag, status, created_at, id, lead_seq, has_email,
                           has_fullname, fullname, email, lead_id, updated_at)
        SELECT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> '',
               new.fullname, new.email, new.lead_id, new.updated_at
        FROM json_each(new.tags);
    INSERT INTO lead_words (project_id, word, status, created_at, id, lead_seq, has_email,
                            has_fullname, fullname, email, lead_id, updated_at)
        SELECT DISTINCT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> '',
               new.fullname, new.email, new.lead_id, new.updated_at
        FROM json_each('["' || replace(new.search, ' ', '","') || '"]')
        WHERE value <> '';
END;

CREATE TRIGGER leads_after_update_tags AFTER UPDATE OF tags ON leads
WHEN old.tags IS NOT new.tags BEGIN
    DELETE FROM lead_tags WHERE lead_seq = old.seq;
    INSERT INTO lead_tags (project_id, tag, status, created_at, id, lead_seq, has_email,
                           has_fullname, fullname, email, lead_id, updated_at)
        SELECT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> '',
               new.fullname, new.email, new.lead_id, new.updated_at
        FROM json_each(new.tags);
END;

CREATE TRIGGER leads_after_update_search AFTER UPDATE OF search ON leads
WHEN old.search IS NOT new.search BEGIN
    DELETE FROM lead_words WHERE lead_seq = old.seq;
    INSERT INTO lead_words (project_id, word, status, created_at, id, lead_seq, has_email,
                            has_fullname, fullname, email, lead_id, updated_at)
        SELECT DISTINCT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> '',
               new.fullname, new.email, new.lead_id, new.updated_at
        FROM json_each('["' || replace(new.search, ' ', '","') || '"]')
        WHERE value <> '';
END;

CREATE TRIGGER leads_after_update_listed
AFTER UPDATE OF status, email_key, fullname, email, lead_id, updated_at ON leads
WHEN old.status IS NOT new.status OR old.email_key IS NOT new.email_key
    OR old.fullname IS NOT new.fullname OR old.email IS NOT new.email
    OR old.lead_id IS NOT new.lead_id OR old.updated_at IS NOT new.updated_at
BEGIN
    UPDATE lead_tags SET status = new.status, has_email = new.email_key IS NOT NULL,
                         has_fullname = COALESCE(new.fullname, '') <> '',
                         fullname = new.fullname, email = new.email, lead_id = new.lead_id,
                         updated_at = new.updated_at
        WHERE lead_seq = old.seq;
    UPDATE lead_words SET status = new.status, has_email = new.email_key IS NOT NULL,
                          has_fullname = COALESCE(new.fullname, '') <> '',
                          fullname = new.fullname, email = new.email, lead_id = new.lead_id,
                          updated_at = new.updated_at
        WHERE lead_seq = old.seq;
END;
