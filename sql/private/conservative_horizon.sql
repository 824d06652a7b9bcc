-- The conservative horizon: the exclusive upper bound (generation, transaction_id) below which
-- every transaction of the cluster has ended, the xmin of the caller's snapshot. Everything
-- strictly before it is committed or never will be. Readers fall back to it where the read
-- horizon (private.read_horizon, which waits only for appenders) cannot be computed: a hot
-- standby, a repeatable-read or read-only transaction, a first append after a restore.

CREATE OR REPLACE FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN g.system_identifier = s.system_identifier THEN g.generation
                ELSE COALESCE(g.generation, 0) + 1 END,
           CASE WHEN g.system_identifier = s.system_identifier
                THEN pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
                ELSE '0'::xid8 END
    FROM pg_catalog.pg_control_system() AS s
    LEFT JOIN LATERAL (SELECT x.generation, x.system_identifier
                       FROM data.store_generations AS x
                       ORDER BY x.generation DESC LIMIT 1) AS g ON true;
$$;

COMMENT ON FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) IS 'The conservative horizon: every transaction of the cluster before it has ended (what readers fall back to where private.read_horizon cannot be computed)';
REVOKE ALL ON FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) FROM PUBLIC;
