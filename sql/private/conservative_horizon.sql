-- The conservative horizon: the exclusive upper bound (generation, transaction_id) below which
-- every transaction of the cluster has ended, the xmin of the caller's snapshot. Everything
-- strictly before it is committed or never will be. Readers fall back to it where the read
-- horizon (private.read_horizon, which waits only for appenders) cannot be computed: a hot
-- standby, a repeatable-read or read-only transaction, a first append after a restore.

CREATE OR REPLACE FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8)
LANGUAGE plpgsql  -- not sql: a SQL function that is not inlined plans its query on every call
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The newest generation is this cluster's if the server that runs now stamped it
    -- (private.confirm_generation), else if it names this cluster's system identifier: the
    -- control file is read only when the stamp does not answer (on a standby, after a restart
    -- before the first append).
    SELECT CASE WHEN g.mine THEN g.generation ELSE COALESCE(g.generation, 0) + 1 END,
           CASE WHEN g.mine THEN pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) ELSE '0'::xid8 END
    INTO generation, transaction_id
    FROM (SELECT) AS one
    LEFT JOIN LATERAL (
        SELECT x.generation,
               CASE WHEN x.server_started_at = pg_catalog.pg_postmaster_start_time() THEN true
                    ELSE x.system_identifier = (SELECT s.system_identifier FROM pg_catalog.pg_control_system() AS s)
               END AS mine
        FROM data.store_generations AS x
        ORDER BY x.generation DESC
        LIMIT 1) AS g ON true;
END;
$$;

COMMENT ON FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) IS 'The conservative horizon: every transaction of the cluster before it has ended (what readers fall back to where private.read_horizon cannot be computed)';
REVOKE ALL ON FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) FROM PUBLIC;
