-- Deploy eventstore:projection_status to pg
-- requires: projection_runner
-- requires: roles
-- Projection lag, and who causes it: the events a projection has not applied yet, the
-- committed events an open transaction holds back (whole-log readers only see events of
-- transactions older than every running one), and that oldest running transaction.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

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
STABLE
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
AS $$
    WITH horizon AS (SELECT h.generation, h.transaction_id FROM private.log_horizon() AS h),
    oldest AS (
        SELECT a.pid, a.datname::text AS datname, a.usename::text AS usename,
               pg_catalog.now() - a.xact_start AS age, pg_catalog.left(a.query, 200) AS query
        FROM pg_catalog.pg_stat_activity AS a
        WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_catalog.pg_backend_pid()
        ORDER BY pg_catalog.age(a.backend_xid) DESC
        LIMIT 1)
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

DROP VIEW api.projection_status;
CREATE VIEW api.projection_status AS
SELECT s.projection_name, s.status, s.last_event_id, s.last_processed, s.events_applied,
       s.events_behind, s.events_held_back, s.oldest_xact_pid, s.oldest_xact_database,
       s.oldest_xact_user, s.oldest_xact_age, s.oldest_xact_query, s.error_message,
       s.failed_event_id, s.failed_at
FROM private.projection_status() AS s;

COMMENT ON VIEW api.projection_status IS
$$Per projection: status, checkpoint, events applied, committed events not applied yet
(events_behind), committed events an open transaction still holds back (events_held_back),
the oldest transaction holding the horizon (pid, database, user, age, query), last error.$$;
COMMENT ON COLUMN api.projection_status.events_behind IS 'Committed events of its filters not applied yet';
COMMENT ON COLUMN api.projection_status.events_held_back IS
    'Committed events not yet readable because an older transaction is still open';

REVOKE ALL ON FUNCTION private.projection_status() FROM PUBLIC;
-- A view calls its functions with the privileges of whoever queries it.
GRANT EXECUTE ON FUNCTION private.projection_status() TO eventstore_reader;
GRANT SELECT ON api.projection_status TO eventstore_reader;

COMMIT;
