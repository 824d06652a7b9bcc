-- Deploy eventstore:log_lag to pg
-- requires: log_order
-- requires: registered_code
-- How far a reader is behind, at a cost that does not grow with the lag (status views are
-- polled by dashboards: counting every event behind took 9.3 s at 10M events), and who holds
-- the read horizon. Used by api.projection_status and api.subscription_status.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Events after a log position matching the filters: before the horizon (behind) and at or
-- past it (held_back: committed or not, an older appender still holds them). Exact while
-- each side has at most 10,000 events of the log (exact = true); past that, behind is the
-- log positions between the cursor and the newest position given out
-- (data.events_global_position_seq) times the share of matching events among the first
-- 10,000, and held_back counts the first 10,000 only. The estimate's error: positions given
-- to appends that rolled back count, and the share further on may differ from the first
-- 10,000's. Reads at most 2 x 10,001 index entries.
CREATE OR REPLACE FUNCTION private.count_events_after(
    in_generation integer,
    in_transaction_id xid8,
    in_global_position bigint,
    in_event_types text[],
    in_stream_types text[],
    in_horizon_generation integer,
    in_horizon_transaction_id xid8,
    OUT behind bigint,
    OUT held_back bigint,
    OUT exact boolean)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET enable_sort = off  -- an ordered Merge Append of the partitions' indexes (see private.log_events)
AS $$
DECLARE
    c_sample CONSTANT integer := 10000;
    l_read bigint;
    l_held_read bigint;
    l_span numeric;
BEGIN
    SELECT count(*), count(*) FILTER (WHERE (in_event_types IS NULL OR s.event_type = ANY (in_event_types))
                                        AND (in_stream_types IS NULL OR s.stream_type = ANY (in_stream_types)))
    INTO l_read, behind
    FROM (SELECT e.event_type, e.stream_type
          FROM data.events AS e
          WHERE (e.generation, e.transaction_id, e.global_position)
                > (in_generation, in_transaction_id, in_global_position)
            AND (e.generation, e.transaction_id) < (in_horizon_generation, in_horizon_transaction_id)
          ORDER BY e.generation, e.transaction_id, e.global_position
          LIMIT c_sample + 1) AS s;

    SELECT count(*), count(*) FILTER (WHERE (in_event_types IS NULL OR s.event_type = ANY (in_event_types))
                                        AND (in_stream_types IS NULL OR s.stream_type = ANY (in_stream_types)))
    INTO l_held_read, held_back
    FROM (SELECT e.event_type, e.stream_type
          FROM data.events AS e
          WHERE (e.generation, e.transaction_id) >= (in_horizon_generation, in_horizon_transaction_id)
            AND (e.generation, e.transaction_id, e.global_position)
                > (in_generation, in_transaction_id, in_global_position)
          ORDER BY e.generation, e.transaction_id, e.global_position
          LIMIT c_sample + 1) AS s;

    exact := l_read <= c_sample AND l_held_read <= c_sample;
    IF l_read > c_sample THEN
        l_span := COALESCE(pg_catalog.pg_sequence_last_value('data.events_global_position_seq'::pg_catalog.regclass), 0)
                  - GREATEST(in_global_position, 0) - l_held_read;
        behind := GREATEST(behind, pg_catalog.round(GREATEST(l_span, l_read) * behind / l_read)::bigint);
    END IF;
END;
$$;

COMMENT ON FUNCTION private.count_events_after(integer, xid8, bigint, text[], text[], integer, xid8) IS
    'Matching events after a log position, before and past the horizon: exact up to 10,000, estimated beyond';

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

COMMENT ON FUNCTION private.horizon_holder(integer, text) IS
    'The session or prepared transaction holding the read horizon (query text privilege-gated)';

REVOKE ALL ON FUNCTION private.count_events_after(integer, xid8, bigint, text[], text[], integer, xid8) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.horizon_holder(integer, text) FROM PUBLIC;

COMMIT;
