CREATE OR REPLACE FUNCTION private.read_horizon(
    OUT generation integer,
    OUT transaction_id xid8,
    OUT holder_pid integer,
    OUT holder_gid text,
    OUT fallback text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_safe record := private.conservative_horizon();
    l_h bigint;
    l_pids integer[];
    l_prepared boolean;
    l_oldest record;
BEGIN
    generation := l_safe.generation;
    transaction_id := l_safe.transaction_id;
    fallback := CASE WHEN l_safe.transaction_id = '0'::xid8 THEN 'no append in this cluster since the restore'
                     WHEN pg_catalog.pg_is_in_recovery() THEN 'hot standby'
                     WHEN pg_catalog.current_setting('transaction_isolation') <> 'read committed'
                         THEN pg_catalog.current_setting('transaction_isolation') || ' transaction'
                     WHEN pg_catalog.current_setting('transaction_read_only') = 'on' THEN 'read-only transaction' END;
    IF fallback IS NOT NULL THEN
        RETURN;
    END IF;

    -- 1. H: every transaction id assigned from now on is at least H.
    l_h := pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::bigint;
    -- 2. Publish H before looking for appenders.
    IF (SELECT s.last_value FROM data.read_horizon AS s) < l_h
       AND NOT private.publish_read_horizon(l_h) THEN
        fallback := 'publishing the horizon was contended';
        RETURN;
    END IF;
    -- 3. The announced appenders of this database (a prepared one shows no pid)...
    SELECT pg_catalog.array_agg(l.pid) FILTER (WHERE l.pid IS NOT NULL), bool_or(l.pid IS NULL)
    INTO l_pids, l_prepared
    FROM pg_catalog.pg_locks AS l
    WHERE l.locktype = 'relation' AND l.relation = 'data.event_streams'::pg_catalog.regclass
      AND l.mode = 'RowExclusiveLock'
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d
                        WHERE d.datname = pg_catalog.current_database());
    -- ... and then their transaction ids, as they are now (pg_stat_activity shows an id from
    -- the moment it is assigned; its lock in pg_locks comes a little later). None announced
    -- (a quiet log, or a reader between appends): nothing to look up.
    transaction_id := l_h::text::xid8;
    IF cardinality(l_pids) > 0 OR l_prepared THEN
        PERFORM pg_catalog.pg_stat_clear_snapshot();
        SELECT x.pid, x.gid, private.xid_near(x.xid, l_h) AS xid INTO l_oldest
        FROM (SELECT a.pid, NULL::text AS gid, a.backend_xid AS xid
              FROM pg_catalog.pg_stat_activity AS a
              WHERE a.pid = ANY (l_pids) AND a.backend_xid IS NOT NULL
              UNION ALL
              SELECT NULL, p.gid, p.transaction
              FROM pg_catalog.pg_prepared_xacts AS p
              WHERE l_prepared AND p.database = pg_catalog.current_database()) AS x
        ORDER BY 3
        LIMIT 1;
        -- 4. The oldest of them, if older than H; else H. (An appender whose id is H or newer
        -- does not lower it: a transaction with an id below H that is not announced yet may
        -- still pass its check against the published H, and must stay behind the horizon.)
        transaction_id := LEAST(l_oldest.xid, l_h)::text::xid8;
        -- The oldest open appender is who readers wait for (as soon as anything newer commits).
        holder_pid := l_oldest.pid;
        holder_gid := l_oldest.gid;
    END IF;
END;
$$;

COMMENT ON FUNCTION private.read_horizon(OUT generation integer, OUT transaction_id xid8, OUT holder_pid integer, OUT holder_gid text, OUT fallback text) IS 'Horizon of a whole-log read in a later statement: waits only for appenders (docs/read-horizon.md); fallback says why not';
REVOKE ALL ON FUNCTION private.read_horizon(OUT generation integer, OUT transaction_id xid8, OUT holder_pid integer, OUT holder_gid text, OUT fallback text) FROM PUBLIC;
