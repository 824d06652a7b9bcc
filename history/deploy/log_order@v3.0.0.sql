-- Deploy eventstore:log_order to pg
-- requires: log_order@v2.1.0
-- requires: event_streams
-- requires: event_partitions
-- requires: events
-- requires: store_generations
-- requires: event_upcasters
-- Since v2.2.0: the horizon is published under a lock on data.read_horizon_publisher, a table
-- only the bundle's owner may lock, held for one subtransaction (a cancel cannot leak it, no
-- role can squat it: advisory lock keys are open to every session); private.read_horizon says
-- why it fell back to the conservative horizon (fallback). private.log_position, which an
-- earlier version of this change held, is change log_position's.
-- Since v1.5.0: requires event_streams (private.read_horizon looks for the appenders' locks on
-- it), and private.log_events is planned once (a generic plan): planning its read over the
-- partitions on every call cost about 0.2 ms, more than reading 100 events.
-- Since v1.2.0: whole-log readers wait only for appenders, not for every transaction of the
-- cluster (private.read_horizon; the argument is docs/read-horizon.md).
-- Since v1.1.0: a cursor naming an event of a retired month (api.detach_event_partitions)
-- continues from that month's first log position instead of failing with ZE004 for ever.
-- The gap-free global order of the log. Events are ordered by (generation, transaction_id,
-- global_position). A reader sees only events of transactions older than every
-- transaction still running (the horizon), so a transaction that commits late can never
-- land behind a position a reader has already passed. Positions of generations older than
-- the current one are all final (their cluster is gone).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

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

COMMENT ON FUNCTION private.log_horizon() IS
    'Exclusive upper bound (generation, transaction_id) of the events whole-log readers may see';

-- The time a UUID v7 was made (its first 48 bits, Unix milliseconds); NULL for another
-- kind of UUID.
CREATE OR REPLACE FUNCTION private.uuidv7_time(in_id uuid)
RETURNS timestamptz
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.substr(in_id::text, 15, 1) = '7'
                THEN pg_catalog.to_timestamp(
                         ('x' || pg_catalog.lpad(pg_catalog.substr(pg_catalog.replace(in_id::text, '-', ''), 1, 12), 16, '0'))
                         ::bit(64)::bigint / 1000.0) END;
$$;

COMMENT ON FUNCTION private.uuidv7_time(uuid) IS 'When a UUID v7 was made; NULL for other UUIDs';

-- Events after a log position, in log order, up to the horizon, optionally only of some
-- event types and stream types, payloads upcast: the one way every whole-log reader reads. A caller that
-- must know exactly which horizon was used (the projection runner, which moves its
-- checkpoint to it) passes one; otherwise it is computed here.
CREATE OR REPLACE FUNCTION private.log_events(
    in_after_generation integer,
    in_after_transaction_id xid8,
    in_after_global_position bigint,
    in_limit integer,
    in_event_types text[] DEFAULT NULL,
    in_stream_types text[] DEFAULT NULL,
    in_horizon_generation integer DEFAULT NULL,
    in_horizon_transaction_id xid8 DEFAULT NULL)
RETURNS SETOF data.events
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
-- The planner cannot estimate row comparisons and guesses a handful of rows, so it sorts
-- the Append of all partitions: every page would read everything after the cursor
-- (measured: a rebuild of 1M events went quadratic). The query needs no sort: a Merge
-- Append of the partitions' ordered index scans stops after in_limit rows.
SET enable_sort = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    l_horizon_generation integer := in_horizon_generation;
    l_horizon_transaction_id xid8 := in_horizon_transaction_id;
BEGIN
    IF l_horizon_generation IS NULL THEN
        SELECT h.generation, h.transaction_id INTO l_horizon_generation, l_horizon_transaction_id
        FROM private.log_horizon() AS h;
    END IF;

    RETURN QUERY
    SELECT e.*
    FROM private.events_upcast AS e
    WHERE (e.generation, e.transaction_id, e.global_position)
          > (in_after_generation, in_after_transaction_id, in_after_global_position)
      AND (e.generation, e.transaction_id) < (l_horizon_generation, l_horizon_transaction_id)
      AND (in_event_types IS NULL OR e.event_type = ANY (in_event_types))
      AND (in_stream_types IS NULL OR e.stream_type = ANY (in_stream_types))
    ORDER BY e.generation, e.transaction_id, e.global_position
    LIMIT in_limit;
END;
$$;

COMMENT ON FUNCTION private.log_events(integer, xid8, bigint, integer, text[], text[], integer, xid8) IS
    'Events after a log position up to the horizon, in log order, filtered by event and stream types';

-- A positive page size or ZE003.
CREATE OR REPLACE FUNCTION private.check_limit(in_limit integer)
RETURNS integer
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_limit IS NULL OR in_limit < 1 THEN
        RAISE EXCEPTION 'in_limit must be a positive integer, got %', COALESCE(in_limit::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN in_limit;
END;
$$;

COMMENT ON FUNCTION private.check_limit(integer) IS 'Returns in_limit if positive, else raises ZE003';

-- The highest horizon a reader has computed (H, docs/read-horizon.md). UNLOGGED: setval on
-- it writes no WAL, so publishing takes no transaction id; after a crash it starts at 0 again,
-- which is safe: every transaction older than the crash has ended.
CREATE UNLOGGED SEQUENCE IF NOT EXISTS data.read_horizon AS bigint MINVALUE 0 START 0;
COMMENT ON SEQUENCE data.read_horizon IS
    'The highest H any whole-log reader has published: a transaction with an older id may no longer append';

-- What whole-log readers lock to publish H, one at a time: no rows, owner-only. Only a role
-- that may UPDATE it can LOCK it, and no role of the bundle may.
CREATE TABLE data.read_horizon_publisher ();
REVOKE ALL ON data.read_horizon_publisher FROM PUBLIC;
COMMENT ON TABLE data.read_horizon_publisher IS
    'Locked (briefly, in a subtransaction) by whole-log readers publishing their horizon: one publisher at a time';

-- Raises H into data.read_horizon unless it is there already; one publisher at a time, so the
-- value only grows. The lock lives in a subtransaction that always ends by rolling back: the
-- lock goes with it at once, and setval (not transactional) stays. A cancel or timeout ends
-- the subtransaction as well, so nothing outlives the call. False when the lock was not had
-- within 50 ms (busy): the caller then uses the conservative horizon.
CREATE OR REPLACE FUNCTION private.publish_read_horizon(in_horizon bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '50ms'
AS $$
BEGIN
    LOCK TABLE data.read_horizon_publisher IN EXCLUSIVE MODE;
    IF (SELECT s.last_value FROM data.read_horizon AS s) < in_horizon THEN
        PERFORM pg_catalog.setval('data.read_horizon', in_horizon);
    END IF;
    -- Not an error: the way out of the subtransaction that releases the lock.
    RAISE EXCEPTION 'read horizon published' USING ERRCODE = 'ZE900';
EXCEPTION
    WHEN SQLSTATE 'ZE900' THEN
        RETURN true;
    WHEN lock_not_available THEN
        RETURN false;
END;
$$;

-- The 64-bit transaction id of a running transaction's 32-bit one, in_near being a 64-bit id
-- less than 2^31 away from it (ids of running transactions are: wraparound protection).
CREATE OR REPLACE FUNCTION private.xid_near(in_xid xid, in_near bigint)
RETURNS bigint
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT in_near + CASE WHEN d.t >= 2147483648 THEN d.t - 4294967296 ELSE d.t END
    FROM (SELECT (in_xid::text::bigint - in_near) & 4294967295 AS t) AS d;
$$;

REVOKE ALL ON FUNCTION private.xid_near(xid, bigint) FROM PUBLIC;

-- The horizon of a whole-log read that happens in a LATER statement than this call (a new
-- snapshot): every transaction older than it that will ever write events has ended. It
-- waits only for announced appenders (docs/read-horizon.md); where that cannot be known it
-- is the conservative private.log_horizon(): on a hot standby, in a transaction whose
-- statements share one snapshot (REPEATABLE READ, SERIALIZABLE), in a read-only one, when
-- publishing was contended, and before this cluster's first append after a restore.
-- holder_pid / holder_gid: the oldest open appender (or prepared transaction): whom the
-- horizon waits for. fallback: NULL, or why this is the conservative horizon (which waits for
-- the oldest transaction of the whole cluster, private.oldest_transaction_pid).
-- squawk-ignore ban-drop-function
DROP FUNCTION private.read_horizon();
CREATE FUNCTION private.read_horizon(
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
    l_safe record := private.log_horizon();
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
    -- the moment it is assigned; its lock in pg_locks comes a little later).
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
    -- does not lower it: a transaction with an id below H that is not announced yet may still
    -- pass its check against the published H, and must stay behind the horizon.)
    transaction_id := LEAST(l_oldest.xid, l_h)::text::xid8;
    -- The oldest open appender is who readers wait for (as soon as anything newer commits).
    holder_pid := l_oldest.pid;
    holder_gid := l_oldest.gid;
END;
$$;

COMMENT ON FUNCTION private.read_horizon() IS
    'Horizon of a whole-log read in a later statement: waits only for appenders (docs/read-horizon.md); fallback says why not';

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

COMMENT ON FUNCTION private.oldest_transaction_pid() IS
    'The session holding the oldest running transaction id of the cluster (what the conservative horizon waits for)';

-- Raises 40001 if a reader may have read past in_xid: called by an append whose transaction
-- had its id before it announced itself (it wrote something else first).
CREATE OR REPLACE FUNCTION private.refuse_passed_appender(in_xid xid8)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_xid::text::bigint < (SELECT s.last_value FROM data.read_horizon AS s) THEN
        RAISE EXCEPTION 'this transaction (%) wrote before its first append, and a reader has read the log past it since',
                in_xid
            USING ERRCODE = '40001',
                  DETAIL = 'Its events would land behind what a whole-log reader already returned.',
                  HINT = 'Retry the transaction (or append first, then write the rest).';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION private.publish_read_horizon(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.read_horizon() FROM PUBLIC;
REVOKE ALL ON FUNCTION private.oldest_transaction_pid() FROM PUBLIC;
REVOKE ALL ON FUNCTION private.refuse_passed_appender(xid8) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.log_events(integer, xid8, bigint, integer, text[], text[], integer, xid8) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.check_limit(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.log_horizon() FROM PUBLIC;
REVOKE ALL ON FUNCTION private.uuidv7_time(uuid) FROM PUBLIC;

COMMIT;
