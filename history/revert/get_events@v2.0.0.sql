-- Revert eventstore:get_events from pg (to its v1.4.0 version, without in_to_version)
-- requires: events
-- requires: event_upcasters
-- requires: roles
-- The events of one stream in version order, payloads upcast to the current version. Stream order needs no horizon: versions
-- are taken under the stream row lock, so a stream never shows a gap.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DROP FUNCTION api.get_events(text, uuid, integer, integer);

CREATE OR REPLACE FUNCTION api.get_events(
    in_stream_type text,
    in_stream_id uuid,
    in_from_version integer DEFAULT 0
)
RETURNS TABLE (
    id uuid,
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
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL'
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_from_version IS NULL OR in_from_version < 0 THEN
        RAISE EXCEPTION 'in_from_version must be 0 or more, got %', COALESCE(in_from_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;

    RETURN QUERY
    SELECT e.id, e.version, e.event_type, e.event_data, e.metadata, e.created_at
    FROM private.events_upcast AS e
    WHERE e.stream_type = in_stream_type
      AND e.stream_id = in_stream_id
      AND e.version > in_from_version
    ORDER BY e.version;
END;
$$;

COMMENT ON FUNCTION api.get_events(text, uuid, integer) IS
    'Events of one stream after in_from_version (0 = all), in version order';

REVOKE ALL ON FUNCTION api.get_events(text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_events(text, uuid, integer) TO eventstore_reader;

COMMIT;
