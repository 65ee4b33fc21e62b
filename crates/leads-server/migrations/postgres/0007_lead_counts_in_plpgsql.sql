-- The counter function in PL/pgSQL. As a `LANGUAGE sql` function called from the row
-- trigger it was parsed, analysed and planned again for every lead written: under a
-- stream of creates that was a quarter of the database's time. PL/pgSQL keeps the plan
-- of its statement for the connection's life. The statement is unchanged.

CREATE OR REPLACE FUNCTION lead_counts_add(lead leads, delta BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_counts (project_id, status, has_email, has_fullname, shard, n)
        VALUES (lead.project_id, lead.status, lead.email_key IS NOT NULL,
                COALESCE(lead.fullname, '') <> '', pg_backend_pid() % 16, delta)
        ON CONFLICT (project_id, status, has_email, has_fullname, shard)
        DO UPDATE SET n = lead_counts.n + delta;
END;
$$;
