-- The read horizon as the status views show it: where whole-log readers stop now, why it is
-- the conservative horizon if it is (fallback), and the transaction that holds it: the
-- appender it waits for, or on the conservative horizon the oldest transaction of the cluster.
-- One read of the horizon per call (private.read_horizon publishes what it reads).

CREATE OR REPLACE FUNCTION private.status_horizon()
RETURNS TABLE (
    generation integer,
    transaction_id xid8,
    fallback text,
    pid integer,
    database text,
    username text,
    age interval,
    query text
)
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.generation, h.transaction_id, h.fallback, o.pid, o.database, o.username, o.age, o.query
    FROM private.read_horizon() AS h
    LEFT JOIN LATERAL private.horizon_holder(
        COALESCE(h.holder_pid, CASE WHEN h.fallback IS NOT NULL THEN private.oldest_transaction_pid() END),
        h.holder_gid) AS o ON true;
$$;

COMMENT ON FUNCTION private.status_horizon() IS 'The read horizon, why it is conservative if it is, and the transaction holding it (for the status views)';
REVOKE ALL ON FUNCTION private.status_horizon() FROM PUBLIC;
