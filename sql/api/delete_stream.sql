CREATE OR REPLACE FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_stream record;
    l_version integer;
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_expected_version < 1 THEN
        RAISE EXCEPTION 'in_expected_version must be NULL (any) or the stream''s version (1 or more), got %', in_expected_version
            USING ERRCODE = 'ZE003';
    END IF;
    SELECT s.current_version, s.deleted_at INTO l_stream
    FROM data.event_streams AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no stream %/%', in_stream_type, in_stream_id USING ERRCODE = 'ZE004';
    END IF;
    IF l_stream.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'stream %/% was deleted at % already', in_stream_type, in_stream_id, l_stream.deleted_at
            USING ERRCODE = 'ZE015';
    END IF;

    -- The tombstone, appended as any event (the expected version guards against a concurrent
    -- append: ZE001), then the stream closes.
    CALL api.append_events(in_stream_type, in_stream_id, COALESCE(in_expected_version, l_stream.current_version),
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'event_type', '$StreamDeleted',
            'event_data', '{}'::jsonb,
            'metadata', pg_catalog.jsonb_build_object('deleted_by', private.calling_role()))),
        l_version);
    UPDATE data.event_streams AS s SET deleted_at = pg_catalog.now()
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    DELETE FROM data.snapshots AS n WHERE n.stream_type = in_stream_type AND n.stream_id = in_stream_id;
    RETURN l_version;
END;
$$;

COMMENT ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) IS 'Deletes a stream (soft): appends its tombstone $StreamDeleted (returns its version) and closes
it. Stream reads return no events from then on; whole-log readers still read every event and
the tombstone; appending fails with ZE015. in_expected_version: the stream''s version, or NULL
(any). Errors: ZE001 wrong expected version, ZE003 bad argument, ZE004 no such stream, ZE015
deleted already.';
REVOKE ALL ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) TO eventstore_writer;
