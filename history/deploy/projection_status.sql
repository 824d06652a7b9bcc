-- Deploy eventstore:projection_status to pg
-- requires: projection_status@v2.1.0
-- requires: log_lag
-- requires: log_order
-- requires: projection_runner
-- requires: roles
-- Since v2.2.0: horizon_fallback says when whole-log readers run on the conservative horizon
-- and why (hot standby, a repeatable read or read-only transaction, ...); oldest_xact_* then
-- name the oldest transaction of the cluster, which that horizon waits for.
-- Since v1.3.0: the cost of the view no longer grows with the lag. events_behind and
-- events_held_back are exact up to 10,000 events and estimated beyond
-- (private.count_events_after; the new column events_behind_exact says which); it counted
-- every event behind (9.3 s with one projection 10M events behind).
-- Since v1.2.0: the horizon waits only for appenders: oldest_xact_* name the appending
-- transaction (or prepared transaction) that holds it, and nothing else.
-- Since v1.1.0: the query text of the transaction holding the horizon is shown only to
-- roles that could see it in pg_stat_activity themselves, and a prepared transaction
-- holding it is shown (pid NULL, query 'PREPARED TRANSACTION ''gid''').
-- Projection lag, and who causes it.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- The result gains a column: the view and the function are made again, in this transaction
-- (clients see the new ones at commit; the view keeps its name and its columns, plus one).
-- squawk-ignore ban-drop-view
DROP VIEW api.projection_status;
-- squawk-ignore ban-drop-function
DROP FUNCTION private.projection_status();

CREATE FUNCTION private.projection_status()
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
    failed_at timestamptz,
    events_behind_exact boolean,
    horizon_fallback text
)
LANGUAGE sql
VOLATILE  -- private.read_horizon publishes what it reads
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
AS $$
    WITH horizon AS (SELECT h.generation, h.transaction_id, h.holder_gid, h.fallback,
                            -- on the conservative horizon: the oldest transaction of the cluster
                            COALESCE(h.holder_pid, CASE WHEN h.fallback IS NOT NULL
                                                        THEN private.oldest_transaction_pid() END) AS holder_pid
                     FROM private.read_horizon() AS h)
    SELECT p.projection_name, c.status, c.last_event_id, c.last_processed, c.events_applied,
           counts.behind, counts.held_back,
           o.pid, o.database, o.username, o.age, o.query,
           c.error_message, c.failed_event_id, c.failed_at, counts.exact, h.fallback
    FROM data.projections AS p
    JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
    CROSS JOIN horizon AS h
    LEFT JOIN LATERAL private.horizon_holder(h.holder_pid, h.holder_gid) AS o ON true
    CROSS JOIN LATERAL private.count_events_after(c.generation, c.transaction_id, c.global_position,
                                                  p.event_types, p.stream_types,
                                                  h.generation, h.transaction_id) AS counts
    ORDER BY p.projection_name;
$$;

CREATE VIEW api.projection_status AS
SELECT s.projection_name, s.status, s.last_event_id, s.last_processed, s.events_applied,
       s.events_behind, s.events_held_back, s.oldest_xact_pid, s.oldest_xact_database,
       s.oldest_xact_user, s.oldest_xact_age, s.oldest_xact_query, s.error_message,
       s.failed_event_id, s.failed_at, s.events_behind_exact, s.horizon_fallback
FROM private.projection_status() AS s;

COMMENT ON VIEW api.projection_status IS
$$Per projection: status, checkpoint, events applied, committed events not applied yet
(events_behind), committed events an open appending transaction still holds back
(events_held_back), the appending transaction holding the horizon (pid, database, user, age,
and its query for those who may see it; a prepared transaction shows pid NULL), last error.
Its cost does not grow with the lag: the counts are exact up to 10,000 events
(events_behind_exact) and estimated beyond.$$;
COMMENT ON COLUMN api.projection_status.events_behind IS
    'Committed events of its filters not applied yet: exact up to 10,000, estimated beyond (events_behind_exact)';
COMMENT ON COLUMN api.projection_status.events_held_back IS
    'Committed events not yet readable because an older appending transaction is still open (at most the first 10,000 counted)';
COMMENT ON COLUMN api.projection_status.horizon_fallback IS
    'NULL, or why whole-log readers run on the conservative horizon (it waits for the oldest transaction of the cluster, oldest_xact_*)';
COMMENT ON COLUMN api.projection_status.events_behind_exact IS
    'false: more than 10,000 events behind; events_behind is then an estimate from log positions (README: Operating it)';

REVOKE ALL ON FUNCTION private.projection_status() FROM PUBLIC;
-- A view calls its functions with the privileges of whoever queries it.
GRANT EXECUTE ON FUNCTION private.projection_status() TO eventstore_reader;
GRANT SELECT ON api.projection_status TO eventstore_reader;

COMMIT;
