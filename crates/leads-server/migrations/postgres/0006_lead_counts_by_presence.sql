-- The counters gain the two filters a list may combine with its status: whether the lead
-- has an email (`with_email`) and whether it has a non-empty full name (`with_fullname`).
-- A list filtering on nothing else reads its `count` from a few counter rows, so its cost
-- does not grow with the project. The function states each presence exactly as the list's
-- SQL filters do (`email_key IS NOT NULL`; `fullname` neither NULL nor empty). Shards work
-- as before: each connection counts in its own.

DROP TRIGGER lead_counts_follow ON leads;
DROP TRIGGER lead_counts_follow_status ON leads;
DROP FUNCTION lead_counts_follow();
DROP FUNCTION lead_counts_add(TEXT, INTEGER, BIGINT);
DROP TABLE lead_counts;

CREATE TABLE lead_counts (
    project_id   TEXT NOT NULL,
    status       INTEGER NOT NULL,
    has_email    BOOLEAN NOT NULL,
    has_fullname BOOLEAN NOT NULL,
    shard        SMALLINT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (project_id, status, has_email, has_fullname, shard)
);

INSERT INTO lead_counts (project_id, status, has_email, has_fullname, shard, n)
    SELECT project_id, status, email_key IS NOT NULL, COALESCE(fullname, '') <> '', 0, COUNT(*)
    FROM leads
    GROUP BY project_id, status, email_key IS NOT NULL, COALESCE(fullname, '') <> '';

CREATE FUNCTION lead_counts_add(lead leads, delta BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO lead_counts (project_id, status, has_email, has_fullname, shard, n)
        VALUES (lead.project_id, lead.status, lead.email_key IS NOT NULL,
                COALESCE(lead.fullname, '') <> '', pg_backend_pid() % 16, delta)
        ON CONFLICT (project_id, status, has_email, has_fullname, shard)
        DO UPDATE SET n = lead_counts.n + delta;
$$;

CREATE FUNCTION lead_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM lead_counts_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM lead_counts_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER lead_counts_follow AFTER INSERT OR DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION lead_counts_follow();
CREATE TRIGGER lead_counts_follow_presence AFTER UPDATE OF status, email_key, fullname ON leads
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status
        OR (OLD.email_key IS NOT NULL) IS DISTINCT FROM (NEW.email_key IS NOT NULL)
        OR (COALESCE(OLD.fullname, '') <> '') IS DISTINCT FROM (COALESCE(NEW.fullname, '') <> '')
    )
    EXECUTE FUNCTION lead_counts_follow();
