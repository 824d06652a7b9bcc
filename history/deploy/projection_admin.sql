-- Deploy eventstore:projection_admin to pg
-- requires: projection_admin@v1.1.0
-- requires: registered_code
-- requires: projection_runner
-- requires: roles
-- Registering, pausing, resuming and rebuilding projections. Since v1.1.0: handlers run
-- with their registrant's rights (invokers, change registered_code); a skipped event stays
-- skipped through rebuilds and resets; the projection's lock is its checkpoint row.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Admins write handlers, reducers and upcasters whose signatures name data.events: USAGE
-- lets them name the type; it grants no access to any table. Handlers run with the rights
-- of the role that registered them (change registered_code), never the bundle owner's.
GRANT USAGE ON SCHEMA data TO eventstore_admin;

CREATE OR REPLACE FUNCTION api.register_projection(
    in_projection_name text,
    in_handler regprocedure,
    in_reset_handler regprocedure DEFAULT NULL,
    in_event_types text[] DEFAULT NULL,
    in_stream_types text[] DEFAULT NULL,
    in_batch_size integer DEFAULT 500)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_registrant name := private.calling_role();
    l_handler_invoker regprocedure;
    l_reset_invoker regprocedure;
BEGIN
    IF in_projection_name IS NULL OR in_projection_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'in_projection_name must be lowercase letters, digits and _ starting with a letter, got %',
                COALESCE(pg_catalog.quote_literal(in_projection_name), 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_batch_size IS NULL OR in_batch_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'in_batch_size must be between 1 and 100000, got %', COALESCE(in_batch_size::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_handler IS NULL OR NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_handler AND f.prokind = 'f' AND f.pronargs = 1
          AND f.proargtypes[0] = 'data.events[]'::pg_catalog.regtype) THEN
        RAISE EXCEPTION 'projection handler % must be a function taking (data.events[])', COALESCE(in_handler::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'CREATE FUNCTION my_handler(in_events data.events[]) RETURNS void ...';
    END IF;
    IF in_reset_handler IS NOT NULL AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_reset_handler AND f.prokind = 'f' AND f.pronargs = 0) THEN
        RAISE EXCEPTION 'reset handler % must be a function without arguments', in_reset_handler
            USING ERRCODE = 'ZE010';
    END IF;
    IF pg_catalog.array_ndims(in_event_types) > 1 OR pg_catalog.array_ndims(in_stream_types) > 1
       OR pg_catalog.array_position(in_event_types, NULL) IS NOT NULL
       OR pg_catalog.array_position(in_stream_types, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'in_event_types and in_stream_types must be one-dimensional arrays without NULLs'
            USING ERRCODE = 'ZE003';
    END IF;
    l_handler_invoker := private.make_invoker(in_handler, 'handler', l_registrant);
    IF in_reset_handler IS NOT NULL THEN
        l_reset_invoker := private.make_invoker(in_reset_handler, 'reset', l_registrant);
    END IF;

    INSERT INTO data.projections AS p
        (projection_name, handler, reset_handler, event_types, stream_types, batch_size,
         handler_invoker, reset_handler_invoker, registered_by)
    VALUES (in_projection_name, in_handler, in_reset_handler, in_event_types, in_stream_types, in_batch_size,
            l_handler_invoker, l_reset_invoker, l_registrant)
    ON CONFLICT (projection_name) DO UPDATE
        SET handler = excluded.handler,
            reset_handler = excluded.reset_handler,
            event_types = excluded.event_types,
            stream_types = excluded.stream_types,
            batch_size = excluded.batch_size,
            handler_invoker = excluded.handler_invoker,
            reset_handler_invoker = excluded.reset_handler_invoker,
            registered_by = excluded.registered_by;
    PERFORM private.drop_unused_invokers();

    INSERT INTO data.projection_checkpoints (projection_name)
    VALUES (in_projection_name)
    ON CONFLICT (projection_name) DO NOTHING;
END;
$$;

COMMENT ON FUNCTION api.register_projection(text, regprocedure, regprocedure, text[], text[], integer) IS
$$Registers (or redefines, keeping its position) a projection: in_handler(data.events[]) applies
a batch of events in log order; in_reset_handler() empties the read model for rebuilds;
in_event_types / in_stream_types restrict what it is given (NULL: everything). A new
projection starts at the beginning of the log. The handlers run with the rights of the
role that registers them. Errors: ZE003 bad name, batch size or filter, ZE010 handler of
the wrong shape, or one that could run with rights its registrant does not have (a
temporary function, one owned by another role, or in a schema others can create in).$$;

CREATE OR REPLACE FUNCTION api.pause_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_status text;
BEGIN
    SELECT c.status INTO l_status FROM data.projection_checkpoints AS c
    WHERE c.projection_name = in_projection_name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_status NOT IN ('running', 'rebuilding') THEN
        RAISE EXCEPTION 'projection % is %, not running: nothing to pause', in_projection_name, l_status
            USING ERRCODE = 'ZE011';
    END IF;
    UPDATE data.projection_checkpoints AS c SET status = 'paused' WHERE c.projection_name = in_projection_name;
END;
$$;

COMMENT ON FUNCTION api.pause_projection(text) IS
    'Stops running a projection until api.resume_projection. Errors: ZE005 unknown, ZE011 not running';

CREATE OR REPLACE FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_c data.projection_checkpoints;
    l_failed record;
BEGIN
    SELECT c.* INTO l_c FROM data.projection_checkpoints AS c
    WHERE c.projection_name = in_projection_name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_c.status NOT IN ('failed', 'paused') THEN
        RAISE EXCEPTION 'projection % is %, not failed or paused: nothing to resume', in_projection_name, l_c.status
            USING ERRCODE = 'ZE011';
    END IF;
    IF in_skip_failed_event AND l_c.status <> 'failed' THEN
        RAISE EXCEPTION 'projection % is paused, not failed: there is no failed event to skip', in_projection_name
            USING ERRCODE = 'ZE011';
    END IF;

    IF in_skip_failed_event THEN
        -- Deliberately past the failed event, and on record.
        SELECT e.id, e.generation, e.transaction_id, e.global_position INTO l_failed
        FROM data.events AS e WHERE e.id = l_c.failed_event_id;
        IF l_c.failed_event_id IS NULL THEN
            RAISE EXCEPTION 'projection % failed on no particular event (%): there is nothing to skip',
                    in_projection_name, l_c.error_message
                USING ERRCODE = 'ZE011',
                      HINT = 'Fix the cause and resume without skipping.';
        END IF;
        -- The runner leaves out every recorded skip, rebuilds included. A skip recorded
        -- before (the same event failing again after a rebuild) is kept as it was.
        INSERT INTO data.projection_skips (projection_name, event_id, error_message)
        VALUES (in_projection_name, l_c.failed_event_id, l_c.error_message)
        ON CONFLICT (projection_name, event_id) DO NOTHING;
        UPDATE data.projection_checkpoints AS c
        SET last_event_id = l_failed.id,
            generation = l_failed.generation,
            transaction_id = l_failed.transaction_id,
            global_position = l_failed.global_position
        WHERE c.projection_name = in_projection_name
          AND l_failed.id IS NOT NULL;  -- an event gone with its month: the runner skips it
    END IF;

    UPDATE data.projection_checkpoints AS c
    SET status = 'running', error_message = NULL, failed_event_id = NULL, failed_at = NULL
    WHERE c.projection_name = in_projection_name;
END;
$$;

COMMENT ON FUNCTION api.resume_projection(text, boolean) IS
$$Runs a failed or paused projection again. A failed one retries its failed event, or with
in_skip_failed_event steps past it, recording the skip in data.projection_skips.
Errors: ZE005 unknown projection, ZE011 not failed or paused.$$;

-- Empties the read model and moves the checkpoint to the start, once any batch in
-- progress has committed (the blocking lock); shared by the two rebuilds below.
CREATE OR REPLACE FUNCTION private.reset_projection_state(in_projection_name text, in_status text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_reset regprocedure;
BEGIN
    SELECT p.reset_handler_invoker INTO l_reset FROM data.projections AS p
    WHERE p.projection_name = in_projection_name;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_reset IS NULL THEN
        RAISE EXCEPTION 'projection % has no reset handler: it cannot be rebuilt', in_projection_name
            USING ERRCODE = 'ZE010',
                  HINT = 'Register it again with in_reset_handler.';
    END IF;

    -- Wait for a batch in progress to commit (the checkpoint row is the projection's
    -- lock); a run that starts while this transaction holds it does nothing.
    PERFORM FROM data.projection_checkpoints AS c WHERE c.projection_name = in_projection_name FOR UPDATE;
    EXECUTE pg_catalog.format('SELECT %s()',
                              private.invoker_call(l_reset, 'the reset handler of projection ' || in_projection_name));
    UPDATE data.projection_checkpoints AS c
    SET last_event_id = NULL, last_processed = pg_catalog.now(), status = in_status,
        error_message = NULL, generation = 0, transaction_id = '0', global_position = 0,
        failed_event_id = NULL, failed_at = NULL, events_applied = 0
    WHERE c.projection_name = in_projection_name;
END;
$$;

CREATE OR REPLACE PROCEDURE api.rebuild_projection(in_projection_name text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_c data.projection_checkpoints;
BEGIN
    PERFORM private.reset_projection_state(in_projection_name, 'rebuilding');

    -- Reprocess all events, in this transaction: readers of the read model see the old
    -- state until the rebuilt one commits, never a half-built one.
    LOOP
        PERFORM private.run_projection_batch(in_projection_name, 10000);
        SELECT c.* INTO l_c FROM data.projection_checkpoints AS c WHERE c.projection_name = in_projection_name;
        EXIT WHEN l_c.status <> 'rebuilding';
    END LOOP;

    IF l_c.status = 'failed' THEN
        RAISE EXCEPTION 'rebuild of projection % failed on event %: %', in_projection_name,
                l_c.failed_event_id, l_c.error_message
            USING ERRCODE = 'ZE012',
                  HINT = 'Nothing was changed. Fix the handler (or the event''s upcaster) and rebuild again.';
    END IF;
END;
$$;

COMMENT ON PROCEDURE api.rebuild_projection(text) IS
$$Rebuilds a projection from the first event, in one transaction: the read model switches from
the old state to the rebuilt one at commit. Waits for a batch in progress; scheduled runs
that start meanwhile do nothing. Errors: ZE005 unknown projection, ZE010 no reset handler,
ZE012 the handler failed (nothing changed). For very large logs see api.reset_projection.$$;

CREATE OR REPLACE FUNCTION api.reset_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM private.reset_projection_state(in_projection_name, 'rebuilding');
END;
$$;

COMMENT ON FUNCTION api.reset_projection(text) IS
$$Online rebuild: empties the read model and restarts the projection from the first event with
status rebuilding; the scheduled runner catches it up batch by batch (short transactions)
and sets it running. The read model is partial meanwhile. Errors: ZE005, ZE010.$$;

REVOKE ALL ON FUNCTION private.reset_projection_state(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.register_projection(text, regprocedure, regprocedure, text[], text[], integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.pause_projection(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.resume_projection(text, boolean) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.rebuild_projection(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.reset_projection(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_projection(text, regprocedure, regprocedure, text[], text[], integer) TO eventstore_admin;
GRANT EXECUTE ON FUNCTION api.pause_projection(text) TO eventstore_projector;
GRANT EXECUTE ON FUNCTION api.resume_projection(text, boolean) TO eventstore_projector;
GRANT EXECUTE ON PROCEDURE api.rebuild_projection(text) TO eventstore_projector;
GRANT EXECUTE ON FUNCTION api.reset_projection(text) TO eventstore_projector;

COMMIT;
