-- Deploy eventstore:projection_runner to pg
-- requires: projections
-- requires: log_order
-- requires: roles
-- One runner for every registered projection. A batch is one transaction: the read model
-- and the checkpoint commit together. A per-projection advisory lock makes overlapping
-- runs harmless (the second one does nothing). A handler error marks that projection
-- failed with the event and the message; the others go on.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Raises ZE005 naming in_projection_name and the registered projections.
CREATE OR REPLACE FUNCTION private.raise_unknown_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'unknown projection: %', COALESCE(in_projection_name, 'NULL')
        USING ERRCODE = 'ZE005',
              HINT = 'Registered: ' || COALESCE((SELECT pg_catalog.string_agg(p.projection_name, ', '
                                                        ORDER BY p.projection_name)
                                                 FROM data.projections AS p), 'none');
END;
$$;

-- Applies the next batch of one projection in the caller's transaction; returns the number
-- of events applied (0: caught up, not running, or another run holds the projection).
CREATE OR REPLACE FUNCTION private.run_projection_batch(
    in_projection_name text,
    in_batch_size integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_p record;
    l_horizon record;
    l_events data.events[];
    l_count integer;
    l_limit integer;
    l_applied integer := 0;
    l_call text;
    l_failed data.events;
    l_sqlstate text;
    l_message text;
    l_last data.events;
BEGIN
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('eventstore.projection'),
                                                pg_catalog.hashtext(in_projection_name)) THEN
        RETURN 0;  -- another run of this projection is in progress: it does the work
    END IF;

    SELECT p.handler, p.event_types, p.stream_types, p.batch_size,
           c.status, c.generation, c.transaction_id, c.global_position
    INTO l_p
    FROM data.projections AS p
    JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
    WHERE p.projection_name = in_projection_name;

    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_p.status NOT IN ('running', 'rebuilding') THEN
        RETURN 0;
    END IF;

    l_limit := COALESCE(in_batch_size, l_p.batch_size);
    -- One horizon for the read and for the checkpoint: when fewer events than the limit
    -- come back, everything before this horizon has been examined.
    l_horizon := private.log_horizon();
    IF pg_catalog.cardinality(l_p.event_types) = 0 OR pg_catalog.cardinality(l_p.stream_types) = 0 THEN
        l_count := 0;  -- follows nothing (yet)
    ELSE
        SELECT pg_catalog.array_agg(e ORDER BY e.generation, e.transaction_id, e.global_position)
        INTO l_events
        FROM private.log_events(l_p.generation, l_p.transaction_id, l_p.global_position, l_limit,
                                l_p.event_types, l_p.stream_types,
                                l_horizon.generation, l_horizon.transaction_id) AS e;
        l_count := COALESCE(pg_catalog.cardinality(l_events), 0);
    END IF;

    IF l_count > 0 THEN
        l_call := pg_catalog.format('SELECT %s($1)', l_p.handler::oid::regproc);
        BEGIN
            EXECUTE l_call USING l_events;
            l_applied := l_count;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
            -- Errors of the transaction, not of an event (deadlock, serialization, resources,
            -- cancel): not the projection's fault; the batch is retried by the next run.
            IF pg_catalog.left(l_sqlstate, 2) IN ('40', '53', '57') THEN
                RAISE;
            END IF;
            -- Find the event the handler fails on: the batch again, one event at a time,
            -- keeping the events before it.
            FOR l_i IN 1 .. l_count LOOP
                BEGIN
                    EXECUTE l_call USING ARRAY[l_events[l_i]];
                    l_applied := l_i;
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
                    l_failed := l_events[l_i];
                    EXIT;
                END;
            END LOOP;
            IF l_failed IS NULL THEN
                -- Every event passes alone but not the batch: a handler whose batch logic
                -- differs from its per-event logic. Blame the first event of the batch.
                l_applied := 0;
                l_failed := l_events[1];
            END IF;
        END;
    END IF;

    IF l_failed IS NOT NULL THEN
        UPDATE data.projection_checkpoints AS c
        SET status = 'failed',
            error_message = l_sqlstate || ': ' || l_message,
            failed_event_id = l_failed.id,
            failed_at = pg_catalog.now()
        WHERE c.projection_name = in_projection_name;
    END IF;

    IF l_applied > 0 THEN
        l_last := l_events[l_applied];
        UPDATE data.projection_checkpoints AS c
        SET last_event_id = l_last.id,
            last_processed = pg_catalog.now(),
            generation = l_last.generation,
            transaction_id = l_last.transaction_id,
            global_position = l_last.global_position,
            events_applied = c.events_applied + l_applied
        WHERE c.projection_name = in_projection_name;
    END IF;

    IF l_failed IS NULL AND l_count < l_limit THEN
        -- Caught up: move past everything examined (events the filters skipped too), and a
        -- projection being rebuilt in the background is running again.
        UPDATE data.projection_checkpoints AS c
        SET generation = l_horizon.generation,
            transaction_id = l_horizon.transaction_id,
            global_position = -1,
            status = 'running'
        WHERE c.projection_name = in_projection_name
          AND ((c.generation, c.transaction_id, c.global_position)
               < (l_horizon.generation, l_horizon.transaction_id, -1)
               OR c.status = 'rebuilding');
    END IF;

    RETURN l_applied;
END;
$$;

COMMENT ON FUNCTION private.run_projection_batch(text, integer) IS
    'Applies the next batch of one projection with its checkpoint, in the caller''s transaction';

-- One batch of one projection, for a projector role driving projections itself.
CREATE OR REPLACE FUNCTION api.run_projection(in_projection_name text, in_batch_size integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_batch_size < 1 THEN
        RAISE EXCEPTION 'in_batch_size must be positive or NULL (the registered size), got %', in_batch_size
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN private.run_projection_batch(in_projection_name, in_batch_size);
END;
$$;

COMMENT ON FUNCTION api.run_projection(text, integer) IS
$$Applies the next batch of one projection (read model and checkpoint in this transaction);
returns the number of events applied, 0 when caught up, paused, failed or busy elsewhere.
Errors: ZE005 unknown projection.$$;

-- One batch of every running projection, each in a subtransaction of its own so that one
-- projection's unexpected error does not undo the others.
CREATE OR REPLACE FUNCTION api.run_projections(in_batch_size integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_name text;
    l_total integer := 0;
BEGIN
    FOR l_name IN
        SELECT c.projection_name FROM data.projection_checkpoints AS c
        WHERE c.status IN ('running', 'rebuilding') ORDER BY c.projection_name
    LOOP
        BEGIN
            l_total := l_total + private.run_projection_batch(l_name, in_batch_size);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'projection %: % (%), retried next run', l_name, SQLERRM, SQLSTATE;
        END;
    END LOOP;
    RETURN l_total;
END;
$$;

COMMENT ON FUNCTION api.run_projections(integer) IS
$$Applies one batch of every running projection; returns the events applied. Call it in a loop
(each call its own transaction) to drive projections without pg_cron.$$;

-- The scheduled worker (pg_cron): batches of every projection, each committed on its own,
-- until in_seconds have passed; it sleeps 0.2 s when there is nothing to do. A procedure
-- (not SECURITY DEFINER) because it commits; pg_cron runs it as the role that deployed.
-- No SET search_path: PostgreSQL refuses COMMIT in a procedure with a SET clause; every
-- name here is qualified and the functions it calls pin their own.
CREATE OR REPLACE PROCEDURE private.projection_worker(in_seconds numeric DEFAULT 55)
LANGUAGE plpgsql
AS $$
DECLARE
    l_deadline timestamptz := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => in_seconds);
    l_names text[];
    l_name text;
    l_applied integer;
BEGIN
    LOOP
        l_applied := 0;
        SELECT pg_catalog.array_agg(c.projection_name ORDER BY c.projection_name) INTO l_names
        FROM data.projection_checkpoints AS c
        WHERE c.status IN ('running', 'rebuilding');
        COMMIT;

        FOREACH l_name IN ARRAY COALESCE(l_names, '{}') LOOP
            BEGIN
                l_applied := l_applied + private.run_projection_batch(l_name);
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'projection %: % (%), retried next round', l_name, SQLERRM, SQLSTATE;
            END;
            COMMIT;  -- one batch, one transaction: short, so it holds no reader back
        END LOOP;

        EXIT WHEN pg_catalog.clock_timestamp() >= l_deadline;
        IF l_applied = 0 THEN
            PERFORM pg_catalog.pg_sleep(0.2);
        END IF;
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE private.projection_worker(numeric) IS
    'Runs every projection batch after batch, committing each, for in_seconds (pg_cron job)';

REVOKE ALL ON FUNCTION private.raise_unknown_projection(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.run_projection_batch(text, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE private.projection_worker(numeric) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.run_projection(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.run_projections(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.run_projection(text, integer) TO eventstore_projector;
GRANT EXECUTE ON FUNCTION api.run_projections(integer) TO eventstore_projector;

COMMIT;
