-- Creates and deletes count their leads once per statement instead of once per lead.
--
-- A batch of the group commit inserts its leads in multi-row statements. The row
-- trigger then upserted the same counter row once for every lead: each upsert a probe
-- of the counters' key, a new version of the row and a call into PL/pgSQL. A statement
-- trigger reads the statement's leads from its transition table and adds each group's
-- total in one upsert, so a statement of 64 leads writes one counter row, not 64
-- versions of it.
--
-- Updates keep the row trigger: its WHEN clause lets it fire only when the status or a
-- presence changes, and PostgreSQL allows no transition table on a trigger limited to
-- columns. A lead deleted by a project's cascade is still counted: cascades are
-- statements too.

DROP TRIGGER lead_counts_follow ON leads;

CREATE FUNCTION lead_counts_follow_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO lead_counts (project_id, status, has_email, has_fullname, shard, n)
            SELECT project_id, status, email_key IS NOT NULL, COALESCE(fullname, '') <> '',
                   pg_backend_pid() % 16, COUNT(*)
            FROM added
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (project_id, status, has_email, has_fullname, shard)
            DO UPDATE SET n = lead_counts.n + excluded.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO lead_counts (project_id, status, has_email, has_fullname, shard, n)
            SELECT project_id, status, email_key IS NOT NULL, COALESCE(fullname, '') <> '',
                   pg_backend_pid() % 16, -COUNT(*)
            FROM removed
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (project_id, status, has_email, has_fullname, shard)
            DO UPDATE SET n = lead_counts.n + excluded.n;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER lead_counts_follow_inserts AFTER INSERT ON leads
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_follow_statement();
CREATE TRIGGER lead_counts_follow_deletes AFTER DELETE ON leads
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION lead_counts_follow_statement();
