-- Deploy eventstore:snapshots to pg
-- requires: snapshots@v2.1.0
-- requires: personal_data
-- requires: stream_deletion
-- requires: registered_code
-- requires: events
-- requires: event_upcasters
-- requires: reducers
-- requires: roles
-- Snapshots of aggregate state, the seed's loader (state + pending events) and the folding
-- loader. A snapshot taken with another reducer version than the registered one is ignored.
-- Since v1.4.0: load_aggregate as of a version or a time (time travel), using the snapshot
-- only when it is at or below that version, and never saving one then.
-- Since v2.0.0: a deleted stream (api.delete_stream) loads as no events: state {}, version 0.
-- A snapshot is saved only if no key its stream's events were sealed with was
-- destroyed (api.forget_subject) after the fold read them: private.save_snapshot takes the
-- snapshot of that read, and holds the stream's keys while it saves.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- (Its table is that of the first version of this change.)

-- Is a snapshot taken with this reducer version usable for this stream type now?
CREATE OR REPLACE FUNCTION private.snapshot_is_current(in_stream_type text, in_reducer_version integer)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT in_reducer_version IS NOT DISTINCT FROM
           (SELECT r.reducer_version FROM data.reducers AS r WHERE r.stream_type = in_stream_type);
$$;

-- Saves the state of an aggregate folded from events read with in_read_snapshot (the
-- pg_current_snapshot() of a statement before that read). The state may hold personal data
-- in plaintext: it is saved only if no key of the stream was destroyed by a transaction that
-- read did not see committed. The stream's keys are held (FOR KEY SHARE) until this
-- transaction ends, so a later erasure waits for this save and then deletes the snapshot with
-- the others (api.forget_subject); an erasure in progress makes this save give up at once (a
-- snapshot is only a shortcut: no load waits for an erasure).
CREATE OR REPLACE PROCEDURE private.save_snapshot(
    in_stream_type text,
    in_stream_id uuid,
    in_version integer,
    in_state jsonb,
    in_read_snapshot pg_snapshot
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    BEGIN
        PERFORM FROM data.subject_keys AS k
        WHERE k.key_id IN (SELECT s.key_id FROM data.subject_streams AS s
                           WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id)
        FOR KEY SHARE OF k NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
        RETURN;  -- a key of the stream is being destroyed
    END;
    IF EXISTS (SELECT FROM data.subject_streams AS s
               JOIN data.forgotten_subjects AS f ON f.key_id = s.key_id
               WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id
                 AND NOT pg_catalog.pg_visible_in_snapshot(f.forgotten_xid, in_read_snapshot)) THEN
        RETURN;  -- a key went after the read: the state may hold what was forgotten
    END IF;

    INSERT INTO data.snapshots AS s (stream_type, stream_id, version, state, reducer_version)
    VALUES (in_stream_type, in_stream_id, in_version, in_state,
            (SELECT r.reducer_version FROM data.reducers AS r WHERE r.stream_type = in_stream_type))
    ON CONFLICT (stream_type, stream_id) DO UPDATE
    SET version = EXCLUDED.version,
        state = EXCLUDED.state,
        reducer_version = EXCLUDED.reducer_version,
        created_at = pg_catalog.now()
    -- Never replace a current snapshot by an older one.
    WHERE s.version <= EXCLUDED.version
       OR s.reducer_version IS DISTINCT FROM EXCLUDED.reducer_version;
END;
$$;

COMMENT ON PROCEDURE private.save_snapshot(text, uuid, integer, jsonb, pg_snapshot) IS
    'Saves the state of an aggregate at a version, unless a key of its stream was destroyed after the state''s events were read';

-- The four-argument form saved whatever it was given: gone, so nothing calls it by mistake.
-- squawk-ignore ban-drop-function
DROP PROCEDURE private.save_snapshot(text, uuid, integer, jsonb);

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
    FROM private.events_upcast AS e
    WHERE e.stream_type = in_stream_type
      AND e.stream_id = in_stream_id
      AND e.version > l_from_version;
END;
$$;

COMMENT ON FUNCTION api.get_aggregate_state(text, uuid) IS
$$The latest usable snapshot of an aggregate (state {} and version 0 when there is none) and the
events after it as a JSON array of {version, event_type, event_data}, for the application to
fold. Snapshots of another reducer version than the registered one are not used.$$;

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
    FROM private.events_upcast AS e
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

COMMENT ON FUNCTION api.load_aggregate(text, uuid, integer, timestamptz) IS
$$The state of an aggregate and its version (state {} and version 0 for no events), folded by
the registered reducer from the latest usable snapshot plus the events after it: now, or as of
in_as_of_version (its state after that version; a version past the last is the current state)
or as of in_as_of (after the events appended by transactions that started by then); both
given: the earlier. A snapshot is used only when it is at or below that version. A load of
the current state that folds a snapshot interval's worth of events saves a snapshot.
Errors: ZE003 NULL stream, negative version, infinite time; ZE010 no reducer registered.$$;

REVOKE ALL ON FUNCTION private.snapshot_is_current(text, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE private.save_snapshot(text, uuid, integer, jsonb, pg_snapshot) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.get_aggregate_state(text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.load_aggregate(text, uuid, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_aggregate_state(text, uuid) TO eventstore_reader;
GRANT EXECUTE ON FUNCTION api.load_aggregate(text, uuid, integer, timestamptz) TO eventstore_reader;

COMMIT;
