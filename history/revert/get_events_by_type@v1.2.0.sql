-- Deploy eventstore:get_events_by_type to pg
-- requires: log_order
-- requires: roles
-- The log restricted to some event types, gap-free like api.get_all_events.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION api.get_events_by_type(
    in_event_types text[],
    in_after_id uuid DEFAULT NULL,
    in_limit integer DEFAULT 1000
)
RETURNS TABLE (
    id uuid,
    stream_type text,
    stream_id uuid,
    version integer,
    event_type text,
    event_data jsonb,
    metadata jsonb,
    created_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_after record := private.log_position(in_after_id);
BEGIN
    IF in_event_types IS NULL OR pg_catalog.cardinality(in_event_types) = 0
       OR pg_catalog.array_position(in_event_types, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'in_event_types must be a non-empty array of event types without NULLs, got %',
                COALESCE(in_event_types::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;

    RETURN QUERY
    SELECT e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data,
           e.metadata, e.created_at
    FROM private.log_events(l_after.generation, l_after.transaction_id, l_after.global_position,
                            private.check_limit(in_limit), in_event_types) AS e;
END;
$$;

COMMENT ON FUNCTION api.get_events_by_type(text[], uuid, integer) IS
$$Committed events whose type is in in_event_types, after the event in_after_id (NULL = from
the start), in log order, at most in_limit; gap-free like api.get_all_events.
Errors: ZE003 bad in_event_types or in_limit, ZE004 in_after_id names no event.$$;

REVOKE ALL ON FUNCTION api.get_events_by_type(text[], uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_events_by_type(text[], uuid, integer) TO eventstore_reader;

COMMIT;
