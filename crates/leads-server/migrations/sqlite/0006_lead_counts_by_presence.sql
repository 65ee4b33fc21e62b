-- The counters gain the two filters a list may combine with its status: whether the lead
-- has an email (`with_email`) and whether it has a non-empty full name (`with_fullname`).
-- A list filtering on nothing else reads its `count` from at most four counter rows, so
-- its cost does not grow with the project. The triggers state each presence exactly as the
-- list's SQL filters do (`email_key IS NOT NULL`; `fullname` neither NULL nor empty).

DROP TRIGGER lead_counts_after_insert;
DROP TRIGGER lead_counts_after_update_status;
DROP TRIGGER lead_counts_after_delete;
DROP TABLE lead_counts;

CREATE TABLE lead_counts (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status       INTEGER NOT NULL,
    has_email    INTEGER NOT NULL,
    has_fullname INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (project_id, status, has_email, has_fullname)
) WITHOUT ROWID;

INSERT INTO lead_counts (project_id, status, has_email, has_fullname, n)
    SELECT project_id, status, email_key IS NOT NULL, COALESCE(fullname, '') <> '', COUNT(*)
    FROM leads
    GROUP BY project_id, status, email_key IS NOT NULL, COALESCE(fullname, '') <> '';

CREATE TRIGGER lead_counts_after_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_counts (project_id, status, has_email, has_fullname, n)
        VALUES (new.project_id, new.status, new.email_key IS NOT NULL,
                COALESCE(new.fullname, '') <> '', 1)
        ON CONFLICT (project_id, status, has_email, has_fullname) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER lead_counts_after_update AFTER UPDATE OF status, email_key, fullname ON leads
WHEN old.status IS NOT new.status
    OR (old.email_key IS NOT NULL) IS NOT (new.email_key IS NOT NULL)
    OR (COALESCE(old.fullname, '') <> '') IS NOT (COALESCE(new.fullname, '') <> '')
BEGIN
    UPDATE lead_counts SET n = n - 1
        WHERE project_id = old.project_id AND status = old.status
          AND has_email = (old.email_key IS NOT NULL)
          AND has_fullname = (COALESCE(old.fullname, '') <> '');
    INSERT INTO lead_counts (project_id, status, has_email, has_fullname, n)
        VALUES (new.project_id, new.status, new.email_key IS NOT NULL,
                COALESCE(new.fullname, '') <> '', 1)
        ON CONFLICT (project_id, status, has_email, has_fullname) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER lead_counts_after_delete AFTER DELETE ON leads BEGIN
    UPDATE lead_counts SET n = n - 1
        WHERE project_id = old.project_id AND status = old.status
          AND has_email = (old.email_key IS NOT NULL)
          AND has_fullname = (COALESCE(old.fullname, '') <> '');
END;
