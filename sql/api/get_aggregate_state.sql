CREATE OR REPLACE FUNCTION api.get_aggregate_state(
    in_stream_type text,
    in_stream_id uuid
)
RETURNS TABLE (
    state jsonb,
    version integer,
    pending_events jsonb
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_snapshot record;
    l_from_version integer := 0;
    l_state jsonb := '{}';
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;

    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RETURN QUERY SELECT l_state, 0, '[]'::jsonb;
        RETURN;
    END IF;

    -- Try to load a snapshot (of the current reducer version)
    SELECT s.version, s.state INTO l_snapshot
    FROM data.snapshots AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id
      AND private.snapshot_is_current(in_stream_type, s.reducer_version);

    IF FOUND THEN
        l_from_version := l_snapshot.version;
        l_state := l_snapshot.state;
    END IF;

    -- Get events since snapshot
    RETURN QUERY
    SELECT
        l_state,
        l_from_version,
        COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'version', e.version,
            'event_type', e.event_type,
            'event_data', e.event_data
        ) ORDER BY e.version), '[]'::jsonb)
    FROM private.events_as_read AS e
    WHERE e.stream_type = in_stream_type
      AND e.stream_id = in_stream_id
      AND e.version > l_from_version;
END;
$$;

COMMENT ON FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) IS 'The latest usable snapshot of an aggregate (state {} and version 0 when there is none) and the
events after it as a JSON array of {version, event_type, event_data}, for the application to
fold. Snapshots of another reducer version than the registered one are not used.';
REVOKE ALL ON FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) TO eventstore_reader;
