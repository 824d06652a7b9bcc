-- Appends events that carry versions of their own (an eventsourcing aggregate's
-- originator_version): to one or more streams of one type, in one transaction, returning each
-- event's log number (private.log_number) in the order given. A stream's events keep their
-- own version in metadata.originator_version; the store's version stays 1, 2, 3, ... A new
-- stream may start at any version; each later event must be the one after the stream's last
-- (in_gaps = false: an aggregate's events) or any later one (in_gaps = true: snapshots).
-- Consecutive events of one stream are appended by one api.append_events call, with the
-- stream's version as the expected version: a version taken, or a concurrent append, is
-- ZE001 and nothing of the call is written.

CREATE OR REPLACE FUNCTION api.append_versioned(
    in_stream_type text,
    in_events jsonb,  -- Array of {stream_id, version, event_type, event_data, metadata}
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
    l_current integer;
    l_last integer;
    l_new integer;
    l_numbers numeric[] := '{}';
    l_run_numbers numeric[];
    l_bad record;
BEGIN
    IF pg_catalog.jsonb_typeof(in_events) IS DISTINCT FROM 'array' OR pg_catalog.jsonb_array_length(in_events) = 0 THEN
        RAISE EXCEPTION 'in_events must be a non-empty JSON array of {stream_id, version, event_type, event_data, metadata}'
            USING ERRCODE = 'ZE002';
    END IF;
    IF in_gaps IS NULL THEN
        RAISE EXCEPTION 'in_gaps must be true or false' USING ERRCODE = 'ZE003';
    END IF;
    -- Every element names its stream (a UUID) and its version (an integer from 0).
    SELECT e.ord, e.element INTO l_bad
    FROM pg_catalog.jsonb_array_elements(in_events) WITH ORDINALITY AS e(element, ord)
    WHERE pg_catalog.jsonb_typeof(e.element) IS DISTINCT FROM 'object'
       OR pg_catalog.jsonb_typeof(e.element -> 'stream_id') IS DISTINCT FROM 'string'
       OR NOT (e.element ->> 'stream_id') ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
       OR pg_catalog.jsonb_typeof(e.element -> 'version') IS DISTINCT FROM 'number'
       OR NOT (e.element ->> 'version') ~ '^[0-9]{1,10}$'
       OR (e.element ->> 'version')::bigint > 2147483646
    ORDER BY e.ord
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'event % of in_events needs a stream_id (a UUID) and a version (an integer from 0), got %',
                l_bad.ord - 1, pg_catalog.left(l_bad.element::text, 200)
            USING ERRCODE = 'ZE002',
                  DETAIL = pg_catalog.jsonb_build_object('index', l_bad.ord - 1)::text;
    END IF;

    -- Runs of consecutive events of one stream, in the order given.
    FOR l_run IN
        WITH e AS (
            SELECT (x.element ->> 'stream_id')::uuid AS stream_id, (x.element ->> 'version')::integer AS version,
                   x.element, x.ord,
                   x.ord - pg_catalog.row_number() OVER (PARTITION BY (x.element ->> 'stream_id')::uuid ORDER BY x.ord) AS run
            FROM pg_catalog.jsonb_array_elements(in_events) WITH ORDINALITY AS x(element, ord)
        )
        SELECT e.stream_id, pg_catalog.min(e.ord) AS first_ord,
               pg_catalog.array_agg(e.version ORDER BY e.ord) AS versions,
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'event_type', e.element -> 'event_type',
                   'event_data', e.element -> 'event_data',
                   'metadata', CASE WHEN pg_catalog.jsonb_typeof(e.element -> 'metadata') = 'object'
                                    THEN e.element -> 'metadata' ELSE '{}'::jsonb END
                               || pg_catalog.jsonb_build_object('originator_version', e.version))
                   ORDER BY e.ord) AS events
        FROM e
        GROUP BY e.stream_id, e.run
        ORDER BY pg_catalog.min(e.ord)
    LOOP
        -- Within the run: one version after the other (or, with gaps, each above the last).
        IF EXISTS (SELECT FROM pg_catalog.unnest(l_run.versions) WITH ORDINALITY AS v(version, ord)
                   WHERE v.ord > 1 AND v.version <= l_run.versions[v.ord - 1]) THEN
            RAISE EXCEPTION 'in_events gives stream %/% the versions % : a version given twice or going back',
                    in_stream_type, l_run.stream_id, l_run.versions
                USING ERRCODE = 'ZE001',
                      DETAIL = pg_catalog.jsonb_build_object('stream_type', in_stream_type, 'stream_id', l_run.stream_id,
                                                             'versions', l_run.versions)::text;
        END IF;
        IF NOT in_gaps AND l_run.versions[pg_catalog.array_length(l_run.versions, 1)]
                           - l_run.versions[1] <> pg_catalog.array_length(l_run.versions, 1) - 1 THEN
            RAISE EXCEPTION 'the versions of stream % in in_events skip one: %', l_run.stream_id, l_run.versions
                USING ERRCODE = 'ZE003';
        END IF;
        SELECT s.current_version INTO l_current
        FROM data.event_streams AS s
        WHERE s.stream_type = in_stream_type AND s.stream_id = l_run.stream_id;
        l_current := COALESCE(l_current, 0);
        IF l_current > 0 THEN
            SELECT COALESCE((e.metadata ->> 'originator_version')::integer, e.version) INTO l_last
            FROM data.events AS e
            WHERE e.stream_type = in_stream_type AND e.stream_id = l_run.stream_id AND e.version = l_current;
            IF l_run.versions[1] <= l_last THEN
                RAISE EXCEPTION 'version % of stream %/% is taken: its last version is %',
                        l_run.versions[1], in_stream_type, l_run.stream_id, l_last
                    USING ERRCODE = 'ZE001',
                          DETAIL = pg_catalog.jsonb_build_object('stream_type', in_stream_type, 'stream_id', l_run.stream_id,
                                                                 'expected', l_run.versions[1] - 1, 'actual', l_last)::text;
            END IF;
            IF NOT in_gaps AND l_run.versions[1] <> l_last + 1 THEN
                RAISE EXCEPTION 'version % of stream %/% would leave a gap: its last version is %',
                        l_run.versions[1], in_stream_type, l_run.stream_id, l_last
                    USING ERRCODE = 'ZE003';
            END IF;
        END IF;
        l_new := NULL;
        CALL api.append_events(in_stream_type, l_run.stream_id, l_current, l_run.events, l_new);
        SELECT pg_catalog.array_agg(private.log_number(e.generation, e.transaction_id, e.global_position, e.created_at)
                                    ORDER BY e.version)
        INTO l_run_numbers
        FROM data.events AS e
        WHERE e.created_at = pg_catalog.now()
          AND e.stream_type = in_stream_type AND e.stream_id = l_run.stream_id
          AND e.version > l_current AND e.version <= l_new;
        -- Offsets past 2^32 would run into the next transaction's numbers.
        IF l_run_numbers[pg_catalog.array_length(l_run_numbers, 1)]
           - pg_catalog.div(l_run_numbers[1], 4294967296) * 4294967296 >= 4294967296 THEN
            RAISE EXCEPTION 'this transaction has spanned 2^32 log positions: its events cannot be numbered; append in a new transaction'
                USING ERRCODE = 'ZE003';
        END IF;
        l_numbers := l_numbers || l_run_numbers;
    END LOOP;
    RETURN l_numbers;
END;
$$;

COMMENT ON FUNCTION api.append_versioned(in_stream_type text, in_events jsonb, in_gaps boolean) IS 'Appends in_events (a JSON array of {stream_id, version, event_type, event_data, metadata}) to streams
of in_stream_type, each event at its own version (kept as metadata.originator_version), and
returns their log numbers in the order given. A new stream starts at any version; then each
event is the one after the stream''s last (in_gaps: any later one).
Errors: ZE001 a version taken (or appended concurrently), ZE002 malformed in_events, ZE003 a
gap without in_gaps or a bad argument, and those of api.append_events.';
REVOKE ALL ON FUNCTION api.append_versioned(in_stream_type text, in_events jsonb, in_gaps boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.append_versioned(in_stream_type text, in_events jsonb, in_gaps boolean) TO eventstore_writer;
