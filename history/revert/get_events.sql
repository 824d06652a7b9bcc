-- Revert eventstore:get_events from pg
-- (the version before: deleted streams read as they were)
-- requires: get_events@v1.4.0
-- requires: events
-- requires: event_upcasters
-- requires: roles
-- The events of one stream in version order, payloads upcast to the current version. Stream order needs no horizon: versions
-- are taken under the stream row lock, so a stream never shows a gap.
-- Since v1.4.0: in_to_version (NULL = to the end), for time travel and forensics.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- (the same signature as now: replaced in place)

CREATE OR REPLACE FUNCTION api.get_events(
    in_stream_type text,
    in_stream_id uuid,
    in_from_version integer DEFAULT 0,
    in_to_version integer DEFAULT NULL
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
    IF in_to_version < 0 THEN
        RAISE EXCEPTION 'in_to_version must be NULL (to the end) or 0 or more, got %', in_to_version
            USING ERRCODE = 'ZE003';
    END IF;

    RETURN QUERY
    SELECT e.id, e.version, e.event_type, e.event_data, e.metadata, e.created_at
    FROM private.events_upcast AS e
    WHERE e.stream_type = in_stream_type
      AND e.stream_id = in_stream_id
      AND e.version > in_from_version
      AND (in_to_version IS NULL OR e.version <= in_to_version)
    ORDER BY e.version;
END;
$$;

COMMENT ON FUNCTION api.get_events(text, uuid, integer, integer) IS
$$Events of one stream after in_from_version (0 = all) up to in_to_version (NULL = to the end),
in version order. Errors: ZE003 NULL stream, negative versions.$$;

REVOKE ALL ON FUNCTION api.get_events(text, uuid, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_events(text, uuid, integer, integer) TO eventstore_reader;

COMMIT;
