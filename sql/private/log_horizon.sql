-- The exclusive upper bound of what whole-log readers may return, as (generation,
-- transaction_id): everything strictly before it is committed or never will be.

CREATE OR REPLACE FUNCTION private.log_horizon(OUT generation integer, OUT transaction_id xid8)
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

COMMENT ON FUNCTION private.log_horizon(OUT generation integer, OUT transaction_id xid8) IS 'Exclusive upper bound (generation, transaction_id) of the events whole-log readers may see';
REVOKE ALL ON FUNCTION private.log_horizon(OUT generation integer, OUT transaction_id xid8) FROM PUBLIC;
