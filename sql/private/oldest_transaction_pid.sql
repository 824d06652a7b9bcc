-- The session whose transaction the conservative horizon waits for: the oldest transaction
-- id still running in the cluster, any database (NULL if that is a prepared transaction).

CREATE OR REPLACE FUNCTION private.oldest_transaction_pid()
RETURNS integer
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.pid
    FROM pg_catalog.pg_stat_activity AS a
    WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_catalog.pg_backend_pid()
    ORDER BY pg_catalog.age(a.backend_xid) DESC
    LIMIT 1;
$$;

COMMENT ON FUNCTION private.oldest_transaction_pid() IS 'The session holding the oldest running transaction id of the cluster (what the conservative horizon waits for)';
REVOKE ALL ON FUNCTION private.oldest_transaction_pid() FROM PUBLIC;
