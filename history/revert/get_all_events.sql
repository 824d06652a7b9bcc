-- Deploy eventstore:get_all_events to pg
-- requires: log_order
-- requires: roles
-- The whole log, gap-free (see change log_order), paged by the id of the last event read.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION api.get_all_events(
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
    RETURN QUERY
    SELECT e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data,
           e.metadata, e.created_at
    FROM private.log_events(l_after.generation, l_after.transaction_id, l_after.global_position,
                            private.check_limit(in_limit)) AS e;
END;
$$;

COMMENT ON FUNCTION api.get_all_events(uuid, integer) IS
$$Every committed event after the event in_after_id (NULL = from the start), in log order,
at most in_limit. Gap-free: paging with the last id returned yields every committed event
exactly once, whatever order transactions commit in. An event is returned once every
transaction that started before it has ended; a transaction does not see its own events.
Errors: ZE003 bad in_limit, ZE004 in_after_id names no event.$$;

REVOKE ALL ON FUNCTION api.get_all_events(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_all_events(uuid, integer) TO eventstore_reader;

COMMIT;
