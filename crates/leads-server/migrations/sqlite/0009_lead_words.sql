-- The words of every lead, one row each, keyed the way a `full_text` list reads them:
-- project, word, status, then the default sort (creation date, id), with the lead's
-- presence of an email and of a full name, as the tag table holds them. Counters per
-- word, status and presence sit beside them. A list by one word then reads its page from
-- one range of this table and its `count` from at most four counters, instead of reading
-- every match; several words read the union of their ranges.
--
-- This replaces the FTS5 table: the words were always split in Rust (the `search` column
-- holds them, space separated) and matched whole, so an ordered table does the same job
-- and also yields them in list order.
--
-- A trigger cannot split a string with a recursive query, so the words are read as a JSON
-- array made by replacing each space with `","`. That is exact because a word is a run
-- of letters and digits, so it never holds a quote, a backslash or a control character.

DROP TRIGGER leads_after_insert;
DROP TRIGGER leads_after_update_search;
DROP TRIGGER leads_after_update_tag_status;
DROP TRIGGER leads_after_update_tag_presence;
DROP TRIGGER leads_after_delete;
DROP TABLE leads_fts;

CREATE TABLE lead_words (
    project_id   TEXT NOT NULL,
    word         TEXT NOT NULL,
    status       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    id           TEXT NOT NULL,
    lead_seq     INTEGER NOT NULL,
    has_email    INTEGER NOT NULL,
    has_fullname INTEGER NOT NULL,
    PRIMARY KEY (project_id, word, status, created_at, id)
) WITHOUT ROWID;
-- Holds the primary key after `lead_seq`: a probe by lead, project and word is one seek.
CREATE INDEX lead_words_by_lead ON lead_words (lead_seq);

INSERT INTO lead_words (project_id, word, status, created_at, id, lead_seq, has_email,
                        has_fullname)
    SELECT DISTINCT l.project_id, w.value, l.status, l.created_at, l.id, l.seq,
           l.email_key IS NOT NULL, COALESCE(l.fullname, '') <> ''
    FROM leads l, json_each('["' || replace(l.search, ' ', '","') || '"]') w
    WHERE w.value <> '';

CREATE TABLE lead_word_counts (
    project_id   TEXT NOT NULL,
    word         TEXT NOT NULL,
    status       INTEGER NOT NULL,
    has_email    INTEGER NOT NULL,
    has_fullname INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (project_id, word, status, has_email, has_fullname)
) WITHOUT ROWID;

INSERT INTO lead_word_counts (project_id, word, status, has_email, has_fullname, n)
    SELECT project_id, word, status, has_email, has_fullname, COUNT(*) FROM lead_words
    GROUP BY project_id, word, status, has_email, has_fullname;

CREATE TRIGGER lead_word_counts_after_insert AFTER INSERT ON lead_words BEGIN
    INSERT INTO lead_word_counts (project_id, word, status, has_email, has_fullname, n)
        VALUES (new.project_id, new.word, new.status, new.has_email, new.has_fullname, 1)
        ON CONFLICT (project_id, word, status, has_email, has_fullname) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER lead_word_counts_after_delete AFTER DELETE ON lead_words BEGIN
    UPDATE lead_word_counts SET n = n - 1
        WHERE project_id = old.project_id AND word = old.word AND status = old.status
          AND has_email = old.has_email AND has_fullname = old.has_fullname;
    DELETE FROM lead_word_counts
        WHERE project_id = old.project_id AND word = old.word AND status = old.status
          AND has_email = old.has_email AND has_fullname = old.has_fullname AND n <= 0;
END;

CREATE TRIGGER lead_word_counts_after_update AFTER UPDATE OF status, has_email, has_fullname
ON lead_words
WHEN old.status IS NOT new.status OR old.has_email IS NOT new.has_email
    OR old.has_fullname IS NOT new.has_fullname
BEGIN
    UPDATE lead_word_counts SET n = n - 1
        WHERE project_id = old.project_id AND word = old.word AND status = old.status
          AND has_email = old.has_email AND has_fullname = old.has_fullname;
    DELETE FROM lead_word_counts
        WHERE project_id = old.project_id AND word = old.word AND status = old.status
          AND has_email = old.has_email AND has_fullname = old.has_fullname AND n <= 0;
    INSERT INTO lead_word_counts (project_id, word, status, has_email, has_fullname, n)
        VALUES (new.project_id, new.word, new.status, new.has_email, new.has_fullname, 1)
        ON CONFLICT (project_id, word, status, has_email, has_fullname) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER leads_after_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_tags (project_id, tag, status, created_at, id, lead_seq, has_email,
                           has_fullname)
        SELECT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> ''
        FROM json_each(new.tags);
    INSERT INTO lead_words (project_id, word, status, created_at, id, lead_seq, has_email,
                            has_fullname)
        SELECT DISTINCT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> ''
        FROM json_each('["' || replace(new.search, ' ', '","') || '"]')
        WHERE value <> '';
END;

CREATE TRIGGER leads_after_update_search AFTER UPDATE OF search ON leads
WHEN old.search IS NOT new.search BEGIN
    DELETE FROM lead_words WHERE lead_seq = old.seq;
    INSERT INTO lead_words (project_id, word, status, created_at, id, lead_seq, has_email,
                            has_fullname)
        SELECT DISTINCT new.project_id, value, new.status, new.created_at, new.id, new.seq,
               new.email_key IS NOT NULL, COALESCE(new.fullname, '') <> ''
        FROM json_each('["' || replace(new.search, ' ', '","') || '"]')
        WHERE value <> '';
END;

CREATE TRIGGER leads_after_update_status AFTER UPDATE OF status ON leads
WHEN old.status IS NOT new.status BEGIN
    UPDATE lead_tags SET status = new.status WHERE lead_seq = old.seq;
    UPDATE lead_words SET status = new.status WHERE lead_seq = old.seq;
END;

CREATE TRIGGER leads_after_update_presence AFTER UPDATE OF email_key, fullname ON leads
WHEN (old.email_key IS NOT NULL) IS NOT (new.email_key IS NOT NULL)
    OR (COALESCE(old.fullname, '') <> '') IS NOT (COALESCE(new.fullname, '') <> '')
BEGIN
    UPDATE lead_tags SET has_email = new.email_key IS NOT NULL,
                         has_fullname = COALESCE(new.fullname, '') <> ''
        WHERE lead_seq = old.seq;
    UPDATE lead_words SET has_email = new.email_key IS NOT NULL,
                          has_fullname = COALESCE(new.fullname, '') <> ''
        WHERE lead_seq = old.seq;
END;

CREATE TRIGGER leads_after_delete AFTER DELETE ON leads BEGIN
    DELETE FROM lead_tags WHERE lead_seq = old.seq;
    DELETE FROM lead_words WHERE lead_seq = old.seq;
END;
