-- Deploy eventstore:reducers to pg
-- requires: reducers@v1.1.0
-- requires: registered_code
-- requires: events
-- requires: projection_admin
-- requires: roles
-- Since v1.1.0: reducers run with their registrant's rights (change registered_code).
-- State in the database: a stream type registers a reducer (state jsonb, event) -> jsonb;
-- aggregates are folded from the latest valid snapshot plus the events after it.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- (Its tables are those of the first version of this change.)

CREATE OR REPLACE FUNCTION api.register_reducer(
    in_stream_type text,
    in_reducer regprocedure,
    in_reducer_version integer,
    in_snapshot_interval integer DEFAULT 100)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_registrant name := private.calling_role();
    l_invoker regprocedure;
BEGIN
    IF in_stream_type IS NULL OR in_stream_type = '' THEN
        RAISE EXCEPTION 'in_stream_type must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    IF in_reducer_version IS NULL OR in_reducer_version < 1 THEN
        RAISE EXCEPTION 'in_reducer_version must be a positive integer, got %', COALESCE(in_reducer_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_snapshot_interval < 1 THEN
        RAISE EXCEPTION 'in_snapshot_interval must be positive or NULL (no automatic snapshots), got %', in_snapshot_interval
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_reducer IS NULL OR NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_reducer AND f.prokind = 'f' AND f.pronargs = 2
          AND f.proargtypes[0] = 'jsonb'::pg_catalog.regtype
          AND f.proargtypes[1] = 'data.events'::pg_catalog.regtype
          AND f.prorettype = 'jsonb'::pg_catalog.regtype) THEN
        RAISE EXCEPTION 'reducer % must be a function (jsonb, data.events) returning jsonb', COALESCE(in_reducer::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'CREATE FUNCTION my_reducer(in_state jsonb, in_event data.events) RETURNS jsonb ...';
    END IF;

    IF pg_catalog.char_length(in_stream_type) > 200 THEN
        RAISE EXCEPTION 'in_stream_type must be at most 200 characters, got %', pg_catalog.char_length(in_stream_type)
            USING ERRCODE = 'ZE003';
    END IF;
    l_invoker := private.make_invoker(in_reducer, 'reducer', l_registrant);

    INSERT INTO data.reducers AS r (stream_type, reducer, reducer_version, snapshot_interval,
                                    reducer_invoker, registered_by)
    VALUES (in_stream_type, in_reducer, in_reducer_version, in_snapshot_interval, l_invoker, l_registrant)
    ON CONFLICT (stream_type) DO UPDATE
        SET reducer = excluded.reducer,
            reducer_version = excluded.reducer_version,
            snapshot_interval = excluded.snapshot_interval,
            registered_at = pg_catalog.now(),
            reducer_invoker = excluded.reducer_invoker,
            registered_by = excluded.registered_by;
    PERFORM private.drop_unused_invokers();
END;
$$;

COMMENT ON FUNCTION api.register_reducer(text, regprocedure, integer, integer) IS
$$Registers the reducer of a stream type: in_reducer(state jsonb, event data.events) returns the
state after the event (unknown event types: the state unchanged). Bump in_reducer_version
when its results change: snapshots of other versions are then ignored. in_snapshot_interval:
an automatic snapshot every N events (NULL: none). It runs with the rights of the role that
registers it. Errors: ZE003, ZE010 wrong signature, or a function that could run with rights
its registrant does not have.$$;

-- Folds events (in version order) into a state with a reducer's invoker
-- (data.reducers.reducer_invoker). One dynamic call per event: reducers are registered at
-- run time, and streams are short between snapshots.
CREATE OR REPLACE FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[])
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_call text;
    l_state jsonb := in_state;
    l_event data.events;
BEGIN
    IF COALESCE(pg_catalog.cardinality(in_events), 0) = 0 THEN
        RETURN l_state;
    END IF;
    l_call := pg_catalog.format('SELECT %s($1, $2)', private.invoker_call(in_reducer, 'reducer ' || in_reducer::text));
    FOREACH l_event IN ARRAY in_events LOOP
        EXECUTE l_call INTO l_state USING l_state, l_event;
    END LOOP;
    RETURN l_state;
END;
$$;

COMMENT ON FUNCTION private.fold_events(regprocedure, jsonb, data.events[]) IS
    'Folds events into a state with a reducer''s invoker (registered.*)';

REVOKE ALL ON FUNCTION api.register_reducer(text, regprocedure, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.fold_events(regprocedure, jsonb, data.events[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_reducer(text, regprocedure, integer, integer) TO eventstore_admin;

COMMIT;
