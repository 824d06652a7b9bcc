-- Appends events that carry versions of their own (an eventsourcing aggregate's
-- originator_version, in metadata.originator_version) to one or more streams of one type, in
-- one transaction, and returns each event's log number (private.log_number) in the order
-- given. The store's versions stay 1, 2, 3, ...; a new stream may start at any version of its
-- own, and each later event must be the one after the stream's last (in_gaps = false: an
-- aggregate's events) or any later one (in_gaps = true: snapshots). Each stream's events are
-- appended by one api.append_events call, with the stream's version as the expected version:
-- a version taken, or a concurrent append, is ZE001 and nothing of the call is written.

CREATE OR REPLACE FUNCTION api.append_versioned(
    in_stream_type text,
    in_streams jsonb,  -- Array of {stream_id, events}; events as api.append_events takes them
    in_gaps boolean DEFAULT false
)
RETURNS numeric[]
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_run record;
    l_stream_id uuid;
    l_versions integer[];
    l_count integer;
    l_current integer;
    l_last integer;
    l_new integer;
    l_numbers numeric[] := '{}';
    l_run_numbers numeric[];
BEGIN
    IF pg_catalog.jsonb_typeof(in_streams) IS DISTINCT FROM 'array' OR pg_catalog.jsonb_array_length(in_streams) = 0 THEN
        RAISE EXCEPTION 'in_streams must be a non-empty JSON array of {stream_id, events}'
            USING ERRCODE = 'ZE002';
    END IF;
    IF in_gaps IS NULL THEN
        RAISE EXCEPTION 'in_gaps must be true or false' USING ERRCODE = 'ZE003';
    END IF;

    FOR l_run IN
        SELECT s.element, s.ord FROM pg_catalog.jsonb_array_elements(in_streams) WITH ORDINALITY AS s(element, ord)
    LOOP
        -- Its stream, and the versions its events carry: a UUID, integers from 0.
        BEGIN
            l_stream_id := (l_run.element ->> 'stream_id')::uuid;
            SELECT pg_catalog.array_agg((x.event -> 'metadata' ->> 'originator_version')::integer ORDER BY x.ord)
            INTO l_versions
            FROM pg_catalog.jsonb_array_elements(l_run.element -> 'events') WITH ORDINALITY AS x(event, ord);
        EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range OR invalid_parameter_value THEN
            l_versions := NULL;
        END;
        l_count := pg_catalog.array_length(l_versions, 1);
        IF l_stream_id IS NULL OR l_count IS NULL OR pg_catalog.array_position(l_versions, NULL) IS NOT NULL
           OR l_versions[1] < 0 OR l_versions[l_count] > 2147483646 THEN
            RAISE EXCEPTION 'stream % of in_streams needs a stream_id (a UUID) and events each with a metadata.originator_version (an integer from 0)',
                    l_run.ord - 1
                USING ERRCODE = 'ZE002',
                      DETAIL = pg_catalog.jsonb_build_object('index', l_run.ord - 1)::text;
        END IF;
        -- One version after the other (with gaps: each above the one before).
        IF EXISTS (SELECT FROM pg_catalog.generate_subscripts(l_versions, 1) AS i
                   WHERE i > 1 AND l_versions[i] <= l_versions[i - 1]) THEN
            RAISE EXCEPTION 'in_streams gives stream %/% the versions %: a version given twice or going back',
                    in_stream_type, l_stream_id, l_versions
                USING ERRCODE = 'ZE001',
                      DETAIL = pg_catalog.jsonb_build_object('stream_type', in_stream_type, 'stream_id', l_stream_id,
                                                             'versions', l_versions)::text;
        END IF;
        IF NOT in_gaps AND l_versions[l_count] - l_versions[1] <> l_count - 1 THEN
            RAISE EXCEPTION 'the versions of stream % in in_streams skip one: %', l_stream_id, l_versions
                USING ERRCODE = 'ZE003';
        END IF;

        -- The stream's own last version: the next must come after it.
        SELECT s.current_version INTO l_current
        FROM data.event_streams AS s
        WHERE s.stream_type = in_stream_type AND s.stream_id = l_stream_id;
        l_current := COALESCE(l_current, 0);
        IF l_current > 0 THEN
            SELECT private.own_version(e.metadata, e.version) INTO l_last
            FROM data.events AS e
            WHERE e.stream_type = in_stream_type AND e.stream_id = l_stream_id AND e.version = l_current;
            IF l_versions[1] <= l_last THEN
                RAISE EXCEPTION 'version % of stream %/% is taken: its last version is %',
                        l_versions[1], in_stream_type, l_stream_id, l_last
                    USING ERRCODE = 'ZE001',
                          DETAIL = pg_catalog.jsonb_build_object('stream_type', in_stream_type, 'stream_id', l_stream_id,
                                                                 'expected', l_versions[1] - 1, 'actual', l_last)::text;
            END IF;
            IF NOT in_gaps AND l_versions[1] <> l_last + 1 THEN
                RAISE EXCEPTION 'version % of stream %/% would leave a gap: its last version is %',
                        l_versions[1], in_stream_type, l_stream_id, l_last
                    USING ERRCODE = 'ZE003';
            END IF;
        END IF;

        l_new := NULL;
        CALL api.append_events(in_stream_type, l_stream_id, l_current, l_run.element -> 'events', l_new);
        SELECT pg_catalog.array_agg(e.log_number ORDER BY e.version)
        INTO l_run_numbers
        FROM data.events AS e
        WHERE e.created_at = pg_catalog.now()
          AND e.stream_type = in_stream_type AND e.stream_id = l_stream_id
          AND e.version > l_current AND e.version <= l_new;
        l_numbers := l_numbers || l_run_numbers;
    END LOOP;
    RETURN l_numbers;
END;
$$;

COMMENT ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) IS 'Appends to streams of in_stream_type: in_streams is a JSON array of {stream_id, events}, events as
api.append_events takes them, each with its own version in metadata.originator_version. Returns
the events'' log numbers in the order given. A new stream starts at any version; then each
event is the one after the stream''s last (in_gaps: any later one).
Errors: ZE001 a version taken (or appended concurrently), ZE002 malformed in_streams, ZE003 a
gap without in_gaps or a bad argument, and those of api.append_events.';
REVOKE ALL ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) TO eventstore_writer;
