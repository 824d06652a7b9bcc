-- Deploy eventstore:projection_runner to pg
-- requires: projection_runner@v1.1.0
-- requires: registered_code
-- requires: projections
-- requires: log_order
-- requires: roles
-- One runner for every registered projection. A batch is one transaction: the read model
-- and the checkpoint commit together. The projection's checkpoint row is its lock (FOR NO
-- KEY UPDATE SKIP LOCKED): overlapping runs are harmless (the second one does nothing), and
-- no role outside the bundle can take it (an advisory lock key any session could take and
-- so stop the projection). A handler error marks that projection failed with the event and
-- the message; the others go on. Events skipped by an admin stay skipped, rebuilds included.
-- A batch is bounded by bytes as well as by count.

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

-- Marks a projection failed (with the event it cannot get past, when known) unless it is
-- paused or failed already.
CREATE OR REPLACE FUNCTION private.mark_projection_failed(
    in_projection_name text, in_sqlstate text, in_message text, in_event_id uuid DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE data.projection_checkpoints AS c
    SET status = 'failed',
        error_message = in_sqlstate || ': ' || in_message,
        failed_event_id = in_event_id,
        failed_at = pg_catalog.now()
    WHERE c.projection_name = in_projection_name AND c.status IN ('running', 'rebuilding');
$$;

-- The first event after a position that cannot be read (its upcast fails), or NULL.
CREATE OR REPLACE FUNCTION private.first_unreadable_event(
    in_generation integer, in_transaction_id xid8, in_global_position bigint, in_limit integer,
    in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8,
    OUT event_id uuid, OUT error_sqlstate text, OUT error_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_event record;
BEGIN
    FOR l_event IN
        SELECT e.id, e.created_at FROM data.events AS e
        WHERE (e.generation, e.transaction_id, e.global_position)
              > (in_generation, in_transaction_id, in_global_position)
          AND (e.generation, e.transaction_id) < (in_horizon_generation, in_horizon_transaction_id)
          AND (in_event_types IS NULL OR e.event_type = ANY (in_event_types))
          AND (in_stream_types IS NULL OR e.stream_type = ANY (in_stream_types))
        ORDER BY e.generation, e.transaction_id, e.global_position
        LIMIT in_limit
    LOOP
        BEGIN
            PERFORM u.event_data, u.metadata FROM private.events_upcast AS u
            WHERE u.id = l_event.id AND u.created_at = l_event.created_at;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
            event_id := l_event.id;
            RETURN;
        END;
    END LOOP;
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
    -- A batch stops once its payloads pass this many bytes (stored size; one event at least).
    co_batch_bytes constant bigint := 16 * 1024 * 1024;
    l_p record;
    l_c record;
    l_horizon record;
    l_fetched data.events[];
    l_events data.events[];
    l_skips uuid[];
    l_count integer;
    l_fetched_count integer := 0;
    l_read_count integer := 0;
    l_limit integer;
    l_applied integer := 0;
    l_call text;
    l_failed data.events;
    l_sqlstate text;
    l_message text;
    l_last data.events;
    l_event data.events;
    l_unreadable record;
BEGIN
    -- A look without a lock first: a caught-up projection takes no lock, hence no
    -- transaction id (which would move the horizon every poll).
    SELECT p.handler_invoker, p.event_types, p.stream_types, p.batch_size,
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
    -- One horizon for the read and for the checkpoint: when fewer events than the limit
    -- come back, everything before this horizon has been examined.
    l_horizon := private.log_horizon();
    IF l_p.status = 'running' AND NOT EXISTS (
            SELECT FROM data.events AS e
            WHERE (e.generation, e.transaction_id, e.global_position)
                  > (l_p.generation, l_p.transaction_id, l_p.global_position)
              AND (e.generation, e.transaction_id) < (l_horizon.generation, l_horizon.transaction_id)) THEN
        RETURN 0;  -- nothing new at all
    END IF;

    -- The checkpoint row is the projection's lock; a run that holds it does the work.
    SELECT c.status, c.generation, c.transaction_id, c.global_position INTO l_c
    FROM data.projection_checkpoints AS c
    WHERE c.projection_name = in_projection_name
    FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND OR l_c.status NOT IN ('running', 'rebuilding') THEN
        RETURN 0;
    END IF;

    l_limit := COALESCE(in_batch_size, l_p.batch_size);
    l_skips := ARRAY(SELECT s.event_id FROM data.projection_skips AS s
                     WHERE s.projection_name = in_projection_name);
    IF pg_catalog.cardinality(l_p.event_types) = 0 OR pg_catalog.cardinality(l_p.stream_types) = 0 THEN
        l_count := 0;  -- follows nothing (yet)
    ELSE
        FOR l_attempt IN 1 .. 2 LOOP
            BEGIN
                -- l_read_count: what the read returned; l_fetched: the part within the bytes.
                SELECT pg_catalog.array_agg(b.e ORDER BY b.ord) FILTER (WHERE COALESCE(b.bytes_before, 0) < co_batch_bytes),
                       count(*)
                INTO l_fetched, l_read_count
                FROM (SELECT e, pg_catalog.row_number() OVER () AS ord,
                             sum(pg_catalog.pg_column_size(e.event_data) + pg_catalog.pg_column_size(e.metadata))
                                 OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS bytes_before
                      FROM private.log_events(l_c.generation, l_c.transaction_id, l_c.global_position, l_limit,
                                              l_p.event_types, l_p.stream_types,
                                              l_horizon.generation, l_horizon.transaction_id) AS e) AS b;
                EXIT;
            EXCEPTION WHEN program_limit_exceeded OR out_of_memory THEN
                -- Payloads that compress well can still be too big together: one at a time.
                IF l_attempt = 2 THEN
                    RAISE;
                END IF;
                l_limit := 1;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
                IF pg_catalog.left(l_sqlstate, 2) IN ('40', '53', '57') THEN
                    RAISE;
                END IF;
                -- An event no reader can read (its upcaster fails): the projection cannot
                -- get past it. Name it, so that it can be fixed or skipped.
                l_unreadable := private.first_unreadable_event(
                    l_c.generation, l_c.transaction_id, l_c.global_position, l_limit,
                    l_p.event_types, l_p.stream_types, l_horizon.generation, l_horizon.transaction_id);
                PERFORM private.mark_projection_failed(
                    in_projection_name, COALESCE(l_unreadable.error_sqlstate, l_sqlstate),
                    'reading the log: ' || COALESCE(l_unreadable.error_message, l_message), l_unreadable.event_id);
                RETURN 0;
            END;
        END LOOP;
        l_fetched_count := COALESCE(pg_catalog.cardinality(l_fetched), 0);
        IF pg_catalog.cardinality(l_skips) > 0 THEN
            l_events := '{}';
            FOREACH l_event IN ARRAY COALESCE(l_fetched, '{}') LOOP
                IF l_event.id <> ALL (l_skips) THEN
                    l_events := l_events || l_event;
                END IF;
            END LOOP;
        ELSE
            l_events := l_fetched;
        END IF;
        l_count := COALESCE(pg_catalog.cardinality(l_events), 0);
    END IF;

    IF l_count > 0 THEN
        l_call := pg_catalog.format('SELECT %s($1)',
                      private.invoker_call(l_p.handler_invoker, 'the handler of projection ' || in_projection_name));
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
        PERFORM private.mark_projection_failed(in_projection_name, l_sqlstate, l_message, l_failed.id);
    END IF;

    -- The checkpoint moves past what was applied, and past skipped events when the whole
    -- batch went through.
    IF l_applied > 0 OR (l_failed IS NULL AND l_fetched_count > 0) THEN
        l_last := CASE WHEN l_failed IS NULL THEN l_fetched[l_fetched_count] ELSE l_events[l_applied] END;
        UPDATE data.projection_checkpoints AS c
        SET last_event_id = l_last.id,
            last_processed = pg_catalog.now(),
            generation = l_last.generation,
            transaction_id = l_last.transaction_id,
            global_position = l_last.global_position,
            events_applied = c.events_applied + l_applied
        WHERE c.projection_name = in_projection_name;
    END IF;

    -- Caught up only if the read returned less than asked and the bytes cut nothing.
    IF l_failed IS NULL AND l_read_count < l_limit AND l_fetched_count = l_read_count THEN
        -- Caught up: move past the events the filters skipped, so they are not examined
        -- again, and a projection rebuilt in the background is running again. Only when
        -- there is something to move past: an idle poll writes nothing (a write takes a
        -- transaction id, which moves the horizon, which made every idle poll write).
        UPDATE data.projection_checkpoints AS c
        SET generation = l_horizon.generation,
            transaction_id = l_horizon.transaction_id,
            global_position = -1,
            status = 'running'
        WHERE c.projection_name = in_projection_name
          AND (c.status = 'rebuilding'
               OR EXISTS (SELECT FROM data.events AS e
                          WHERE (e.generation, e.transaction_id, e.global_position)
                                > (c.generation, c.transaction_id, c.global_position)
                            AND (e.generation, e.transaction_id)
                                < (l_horizon.generation, l_horizon.transaction_id)));
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
Errors: ZE003 a batch size below 1, ZE005 unknown projection.$$;

-- One batch of one projection for the runners of every projection: an error that is not
-- the transaction's (deadlock, resources, cancel) marks the projection failed with the
-- reason, instead of being retried for ever behind a status that says running.
CREATE OR REPLACE FUNCTION private.run_projection_guarded(in_projection_name text, in_batch_size integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_sqlstate text;
    l_message text;
BEGIN
    RETURN private.run_projection_batch(in_projection_name, in_batch_size);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
    IF pg_catalog.left(l_sqlstate, 2) IN ('40', '53', '57') THEN
        RAISE WARNING 'projection %: % (%), retried next run', in_projection_name, l_message, l_sqlstate;
    ELSE
        PERFORM private.mark_projection_failed(in_projection_name, l_sqlstate, l_message);
    END IF;
    RETURN 0;
END;
$$;

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
    IF in_batch_size < 1 THEN
        RAISE EXCEPTION 'in_batch_size must be positive or NULL (each projection''s registered size), got %',
                in_batch_size
            USING ERRCODE = 'ZE003';
    END IF;
    FOR l_name IN
        SELECT c.projection_name FROM data.projection_checkpoints AS c
        WHERE c.status IN ('running', 'rebuilding') ORDER BY c.projection_name
    LOOP
        l_total := l_total + private.run_projection_guarded(l_name, in_batch_size);
    END LOOP;
    RETURN l_total;
END;
$$;

COMMENT ON FUNCTION api.run_projections(integer) IS
$$Applies one batch of every running projection; returns the events applied. Call it in a loop
(each call its own transaction) to drive projections without pg_cron. Errors: ZE003 a batch
size below 1.$$;

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
            l_applied := l_applied + private.run_projection_guarded(l_name, NULL);
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
REVOKE ALL ON FUNCTION private.mark_projection_failed(text, text, text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.first_unreadable_event(integer, xid8, bigint, integer, text[], text[], integer, xid8) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.run_projection_batch(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.run_projection_guarded(text, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE private.projection_worker(numeric) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.run_projection(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.run_projections(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.run_projection(text, integer) TO eventstore_projector;
GRANT EXECUTE ON FUNCTION api.run_projections(integer) TO eventstore_projector;

COMMIT;
