-- Projection lag, and who causes it.

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
    failed_at timestamptz,
    events_behind_exact boolean,
    horizon_fallback text
)
LANGUAGE sql
VOLATILE  -- private.status_horizon reads (and publishes) the horizon
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.projection_name, c.status, c.last_event_id, c.last_processed, c.events_applied,
           counts.behind, counts.held_back,
           h.pid, h.database, h.username, h.age, h.query,
           c.error_message, c.failed_event_id, c.failed_at, counts.exact, h.fallback
    FROM data.projections AS p
    JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
    CROSS JOIN private.status_horizon() AS h
    CROSS JOIN LATERAL private.count_events_after(c.generation, c.transaction_id, c.global_position,
                                                  p.event_types, p.stream_types,
                                                  h.generation, h.transaction_id) AS counts
    ORDER BY p.projection_name;
$$;

REVOKE ALL ON FUNCTION private.projection_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.projection_status() TO eventstore_reader;
