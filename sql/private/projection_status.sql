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
    horizon_fallback text,
    version_of text,
    version integer,
    live boolean,
    events_behind_live bigint,
    ready_to_promote boolean
)
LANGUAGE sql
VOLATILE  -- private.status_horizon reads (and publishes) the horizon
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
AS $$
    WITH v AS (
        SELECT p.projection_name, p.version_of, p.version, p.projection_name = p.version_of AS live,
               c.status, c.last_event_id, c.last_processed, c.events_applied,
               c.error_message, c.failed_event_id, c.failed_at,
               counts.behind, counts.held_back, counts.exact,
               h.pid, h.database, h.username, h.age, h.query, h.fallback
        FROM data.projections AS p
        JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
        CROSS JOIN private.status_horizon() AS h
        CROSS JOIN LATERAL private.count_events_after(c.generation, c.transaction_id, c.global_position,
                                                      p.event_types, p.stream_types,
                                                      h.generation, h.transaction_id) AS counts
    )
    -- A version that is not live is behind the live one by the difference of their lags (it
    -- never passes the live one): ready once that is within eventstore.promotion_max_lag.
    SELECT v.projection_name, v.status, v.last_event_id, v.last_processed, v.events_applied,
           v.behind, v.held_back,
           v.pid, v.database, v.username, v.age, v.query,
           v.error_message, v.failed_event_id, v.failed_at, v.exact, v.fallback,
           v.version_of, v.version, v.live,
           GREATEST(v.behind - l.behind, 0),
           NOT v.live AND v.status IN ('running', 'rebuilding')
               AND GREATEST(v.behind - l.behind, 0) <= private.promotion_max_lag()
    FROM v
    JOIN v AS l ON l.projection_name = v.version_of
    ORDER BY v.version_of, v.live DESC, v.version;
$$;

REVOKE ALL ON FUNCTION private.projection_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.projection_status() TO eventstore_reader;
