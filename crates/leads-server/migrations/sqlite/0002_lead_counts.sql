-- How many leads each project has in each status, kept in step with `leads` by triggers
-- in the same transaction as the change. A list without filters other than the status
-- reads its `count` here, so the first page costs the same at ten leads or ten million.

CREATE TABLE lead_counts (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status     INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (project_id, status)
) WITHOUT ROWID;

INSERT INTO lead_counts (project_id, status, n)
    SELECT project_id, status, COUNT(*) FROM leads GROUP BY project_id, status;

CREATE TRIGGER lead_counts_after_insert AFTER INSERT ON leads BEGIN
    INSERT INTO lead_counts (project_id, status, n) VALUES (new.project_id, new.status, 1)
        ON CONFLICT (project_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER lead_counts_after_update_status AFTER UPDATE OF status ON leads
WHEN old.status IS NOT new.status BEGIN
    UPDATE lead_counts SET n = n - 1 WHERE project_id = old.project_id AND status = old.status;
    INSERT INTO lead_counts (project_id, status, n) VALUES (new.project_id, new.status, 1)
        ON CONFLICT (project_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER lead_counts_after_delete AFTER DELETE ON leads BEGIN
    UPDATE lead_counts SET n = n - 1 WHERE project_id = old.project_id AND status = old.status;
END;
