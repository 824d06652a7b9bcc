-- Revert eventstore:projection_status from pg (to its v1.3.0 version)
-- requires: projection_status@v1.2.0
-- requires: log_order
-- requires: projection_runner
-- requires: roles
-- Since v1.1.0: the query text of the transaction holding the horizon is shown only to
-- roles that could see it in pg_stat_activity themselves (its own user, members of
-- pg_read_all_stats), and a prepared transaction holding it is shown (pid NULL, query
-- 'PREPARED TRANSACTION ''gid''').
-- Projection lag, and who causes it: the events a projection has not applied yet, the
-- committed events an open transaction holds back (whole-log readers only see events of
-- transactions older than every running one), and that oldest running transaction.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Back to the v1.3.0 result, without events_behind_exact.
DROP VIEW api.projection_status;
DROP FUNCTION private.projection_status();

CREATE OR REPLACE FUNCTION private.projection_status()
RETURNS TABLE (
    projection_name text,
    status text,
    last_event_id uuid,
    last_processed timestamptz,
    events_applied bigint,
    events_behind bigint,
    events_held_back bigint,
    oldest_xact_pid integer,
    oldest_xact_database text,
    oldest_xact_user text,
    oldest_xact_age interval,
    oldest_xact_query text,
    error_message text,
    failed_event_id uuid,
    failed_at timestamptz
)
LANGUAGE sql
VOLATILE  -- private.read_horizon publishes what it reads
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
AS $$
    -- Since v1.2.0 the horizon waits only for appenders: oldest_xact_* name the appending
    -- transaction (or prepared transaction) that holds it, and nothing else.
    WITH horizon AS (SELECT h.generation, h.transaction_id, h.holder_pid, h.holder_gid
                     FROM private.read_horizon() AS h),
    viewer AS (SELECT private.calling_role() AS role),
    oldest AS (
        SELECT a.pid, a.datname::text AS datname, a.usename::text AS usename,
               pg_catalog.now() - a.xact_start AS age,
               CASE WHEN pg_catalog.pg_has_role(v.role, a.usesysid, 'USAGE')
                         OR pg_catalog.pg_has_role(v.role, 'pg_read_all_stats', 'USAGE')
                    THEN pg_catalog.left(a.query, 200)
                    ELSE '<insufficient privilege>' END AS query
        FROM horizon AS h
        JOIN pg_catalog.pg_stat_activity AS a ON a.pid = h.holder_pid
        CROSS JOIN viewer AS v
        UNION ALL
        SELECT NULL, p.database::text, p.owner::text, pg_catalog.now() - p.prepared,
               'PREPARED TRANSACTION ' || pg_catalog.quote_literal(p.gid)
        FROM horizon AS h
        JOIN pg_catalog.pg_prepared_xacts AS p ON p.gid = h.holder_gid)
    SELECT p.projection_name, c.status, c.last_event_id, c.last_processed, c.events_applied,
           counts.behind, counts.held_back,
           o.pid, o.datname, o.usename, o.age, o.query,
           c.error_message, c.failed_event_id, c.failed_at
    FROM data.projections AS p
    JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
    CROSS JOIN horizon AS h
    LEFT JOIN oldest AS o ON true
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE (e.generation, e.transaction_id) < (h.generation, h.transaction_id)) AS behind,
               count(*) FILTER (WHERE (e.generation, e.transaction_id) >= (h.generation, h.transaction_id)) AS held_back
        FROM data.events AS e
        WHERE (e.generation, e.transaction_id, e.global_position) > (c.generation, c.transaction_id, c.global_position)
          AND (p.event_types IS NULL OR e.event_type = ANY (p.event_types))
          AND (p.stream_types IS NULL OR e.stream_type = ANY (p.stream_types))
    ) AS counts
    ORDER BY p.projection_name;
$$;

CREATE OR REPLACE VIEW api.projection_status AS
SELECT s.projection_name, s.status, s.last_event_id, s.last_processed, s.events_applied,
       s.events_behind, s.events_held_back, s.oldest_xact_pid, s.oldest_xact_database,
       s.oldest_xact_user, s.oldest_xact_age, s.oldest_xact_query, s.error_message,
       s.failed_event_id, s.failed_at
FROM private.projection_status() AS s;

COMMENT ON VIEW api.projection_status IS
$$Per projection: status, checkpoint, events applied, committed events not applied yet
(events_behind), committed events an open appending transaction still holds back
(events_held_back), the appending transaction holding the horizon (pid, database, user, age,
and its query for those who may see it; a prepared transaction shows pid NULL), last error.$$;
COMMENT ON COLUMN api.projection_status.events_behind IS 'Committed events of its filters not applied yet';
COMMENT ON COLUMN api.projection_status.events_held_back IS
    'Committed events not yet readable because an older appending transaction is still open';

REVOKE ALL ON FUNCTION private.projection_status() FROM PUBLIC;
-- A view calls its functions with the privileges of whoever queries it.
GRANT EXECUTE ON FUNCTION private.projection_status() TO eventstore_reader;
GRANT SELECT ON api.projection_status TO eventstore_reader;

COMMIT;
