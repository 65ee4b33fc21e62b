-- How many leads each project has in each status, kept in step with `leads` by a trigger
-- in the same transaction as the change. A list without filters other than the status
-- reads its `count` here, so the first page costs the same at ten leads or ten million.
--
-- One counter row per project and status would make every concurrent create in a project
-- wait for the previous one's commit on that row's lock. Each connection therefore counts
-- in its own shard (its backend pid modulo 16), and a count sums the shards. There is no
-- foreign key to projects: a lead deleted by a project's cascade still decrements a shard.

CREATE TABLE lead_counts (
    project_id TEXT NOT NULL,
    status     INTEGER NOT NULL,
    shard      SMALLINT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (project_id, status, shard)
);

INSERT INTO lead_counts (project_id, status, shard, n)
    SELECT project_id, status, 0, COUNT(*) FROM leads GROUP BY project_id, status;

CREATE FUNCTION lead_counts_add(project TEXT, lead_status INTEGER, delta BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO lead_counts (project_id, status, shard, n)
        VALUES (project, lead_status, pg_backend_pid() % 16, delta)
        ON CONFLICT (project_id, status, shard) DO UPDATE SET n = lead_counts.n + delta;
$$;

CREATE FUNCTION lead_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM lead_counts_add(OLD.project_id, OLD.status, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM lead_counts_add(NEW.project_id, NEW.status, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER lead_counts_follow AFTER INSERT OR DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION lead_counts_follow();
CREATE TRIGGER lead_counts_follow_status AFTER UPDATE OF status ON leads
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION lead_counts_follow();
