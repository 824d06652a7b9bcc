-- The appending transaction (or prepared transaction) the read horizon waits for, as a
-- status view shows it: its query only to roles that could see it in pg_stat_activity
-- themselves (its own user, members of pg_read_all_stats). Run by SECURITY DEFINER status
-- functions: their owner sees every session.

CREATE OR REPLACE FUNCTION private.horizon_holder(in_holder_pid integer, in_holder_gid text)
RETURNS TABLE (pid integer, database text, username text, age interval, query text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.pid, a.datname::text, a.usename::text, pg_catalog.now() - a.xact_start,
           CASE WHEN pg_catalog.pg_has_role(private.calling_role(), a.usesysid, 'USAGE')
                     OR pg_catalog.pg_has_role(private.calling_role(), 'pg_read_all_stats', 'USAGE')
                THEN pg_catalog.left(a.query, 200)
                ELSE '<insufficient privilege>' END
    FROM pg_catalog.pg_stat_activity AS a
    WHERE a.pid = in_holder_pid
    UNION ALL
    SELECT NULL, p.database::text, p.owner::text, pg_catalog.now() - p.prepared,
           'PREPARED TRANSACTION ' || pg_catalog.quote_literal(p.gid)
    FROM pg_catalog.pg_prepared_xacts AS p
    WHERE p.gid = in_holder_gid
    LIMIT 1;
$$;

COMMENT ON FUNCTION private.horizon_holder(in_holder_pid integer, in_holder_gid text) IS 'The session or prepared transaction holding the read horizon (query text privilege-gated)';
REVOKE ALL ON FUNCTION private.horizon_holder(in_holder_pid integer, in_holder_gid text) FROM PUBLIC;
