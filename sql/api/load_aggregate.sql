CREATE OR REPLACE FUNCTION api.load_aggregate(
    in_stream_type text,
    in_stream_id uuid,
    in_as_of_version integer DEFAULT NULL,
    in_as_of timestamptz DEFAULT NULL)
RETURNS TABLE (state jsonb, version integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_reducer record;
    l_state jsonb := '{}';
    l_version integer := 0;
    l_to_version integer := in_as_of_version;
    l_events data.events[];
    l_read_snapshot pg_snapshot;
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_as_of_version < 0 THEN
        RAISE EXCEPTION 'in_as_of_version must be NULL (now) or 0 or more, got %', in_as_of_version
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_as_of = 'infinity' OR in_as_of = '-infinity' THEN
        RAISE EXCEPTION 'in_as_of must be a time, got %', in_as_of USING ERRCODE = 'ZE003';
    END IF;
    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RETURN QUERY SELECT l_state, l_version;
        RETURN;
    END IF;
    SELECT r.reducer_invoker AS reducer, r.reducer_version, r.snapshot_interval INTO l_reducer
    FROM data.reducers AS r WHERE r.stream_type = in_stream_type;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no reducer is registered for stream type %', in_stream_type
            USING ERRCODE = 'ZE010',
                  HINT = 'Register one with api.register_reducer, or fold api.get_aggregate_state yourself.';
    END IF;

    -- As of a time: the last version appended by then (an event's created_at is the start of
    -- its appending transaction). Both given: the earlier of the two.
    IF in_as_of IS NOT NULL THEN
        SELECT COALESCE(max(e.version), 0) INTO l_to_version
        FROM data.events AS e
        WHERE e.stream_type = in_stream_type AND e.stream_id = in_stream_id
          AND e.created_at <= in_as_of
          AND (in_as_of_version IS NULL OR e.version <= in_as_of_version);
    END IF;

    SELECT s.state, s.version INTO l_state, l_version
    FROM data.snapshots AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id
      AND s.reducer_version = l_reducer.reducer_version
      AND (l_to_version IS NULL OR s.version <= l_to_version);
    l_state := COALESCE(l_state, '{}');
    l_version := COALESCE(l_version, 0);

    l_read_snapshot := pg_catalog.pg_current_snapshot();  -- before the read (private.save_snapshot)
    SELECT pg_catalog.array_agg(ROW(e.*)::data.events ORDER BY e.version) INTO l_events
    FROM private.events_as_read AS e
    WHERE e.stream_type = in_stream_type AND e.stream_id = in_stream_id AND e.version > l_version
      AND (l_to_version IS NULL OR e.version <= l_to_version);

    IF l_events IS NOT NULL THEN
        l_state := private.fold_events(l_reducer.reducer, l_state, l_events);
        l_version := l_events[pg_catalog.cardinality(l_events)].version;
        -- A load of the current state that had to fold a snapshot interval's worth of events
        -- (no snapshot yet, or one of an older reducer version) leaves a current one behind,
        -- unless this transaction is read-only (a standby). A load of the past never does.
        IF l_to_version IS NULL
           AND pg_catalog.cardinality(l_events) >= l_reducer.snapshot_interval
           AND pg_catalog.current_setting('transaction_read_only') = 'off' THEN
            CALL private.save_snapshot(in_stream_type, in_stream_id, l_version, l_state, l_read_snapshot);
        END IF;
    END IF;

    RETURN QUERY SELECT l_state, l_version;
END;
$$;

COMMENT ON FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer, in_as_of timestamp with time zone) IS 'The state of an aggregate and its version (state {} and version 0 for no events), folded by
the registered reducer from the latest usable snapshot plus the events after it: now, or as of
in_as_of_version (its state after that version; a version past the last is the current state)
or as of in_as_of (after the events appended by transactions that started by then); both
given: the earlier. A snapshot is used only when it is at or below that version. A load of
the current state that folds a snapshot interval''s worth of events saves a snapshot.
Errors: ZE003 NULL stream, negative version, infinite time; ZE010 no reducer registered.';
REVOKE ALL ON FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer, in_as_of timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer, in_as_of timestamp with time zone) TO eventstore_reader;
