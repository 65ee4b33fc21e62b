-- How many leads of each project carry each tag, per status, kept by triggers on the tag
-- table in the same transaction as the change. A list filtered on one tag and its status
-- reads its `count` here instead of counting the tag's range of `lead_tags`, so a common
-- tag costs what a rare one does. A counter that falls to zero is removed, so tags no lead
-- carries any more leave nothing behind.

CREATE TABLE lead_tag_counts (
    project_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    status     INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (project_id, tag, status)
) WITHOUT ROWID;

INSERT INTO lead_tag_counts (project_id, tag, status, n)
    SELECT project_id, tag, status, COUNT(*) FROM lead_tags GROUP BY project_id, tag, status;

CREATE TRIGGER lead_tag_counts_after_insert AFTER INSERT ON lead_tags BEGIN
    INSERT INTO lead_tag_counts (project_id, tag, status, n)
        VALUES (new.project_id, new.tag, new.status, 1)
        ON CONFLICT (project_id, tag, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER lead_tag_counts_after_delete AFTER DELETE ON lead_tags BEGIN
    UPDATE lead_tag_counts SET n = n - 1
        WHERE project_id = old.project_id AND tag = old.tag AND status = old.status;
    DELETE FROM lead_tag_counts
        WHERE project_id = old.project_id AND tag = old.tag AND status = old.status AND n <= 0;
END;

CREATE TRIGGER lead_tag_counts_after_update_status AFTER UPDATE OF status ON lead_tags
WHEN old.status IS NOT new.status BEGIN
    UPDATE lead_tag_counts SET n = n - 1
        WHERE project_id = old.project_id AND tag = old.tag AND status = old.status;
    DELETE FROM lead_tag_counts
        WHERE project_id = old.project_id AND tag = old.tag AND status = old.status AND n <= 0;
    INSERT INTO lead_tag_counts (project_id, tag, status, n)
        VALUES (new.project_id, new.tag, new.status, 1)
        ON CONFLICT (project_id, tag, status) DO UPDATE SET n = n + 1;
END;
