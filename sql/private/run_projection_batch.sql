-- Applies the next batch of one projection in the caller's transaction; returns the number
-- of events applied (0: caught up, not running, or another run holds the projection).
-- A version that is not live (its name is name@N) goes no further than the live version has
-- acted (private.projection_acted_until); events at or below a replay mark are applied apart
-- from the others, with api.projection_replaying() true, so that a handler sends nothing twice.

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
    l_cap record;          -- a version that is not live: how far the live one has acted
    l_mark record;         -- events at or below it are replays
    l_kept integer := 0;   -- the fetched events within the cap and on one side of the mark
    l_live boolean;
    l_capped boolean := false;
    l_replaying boolean := false;
    l_target record;
BEGIN
    -- A look without a lock first: a caught-up projection takes no lock, hence no
    -- transaction id (which would move the horizon every poll).
    SELECT p.version_of, c.status, c.generation, c.transaction_id, c.global_position
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
    IF l_p.version_of <> in_projection_name AND l_p.status = 'running' AND (
            SELECT (a.generation, a.transaction_id, a.global_position)
                   <= (l_p.generation, l_p.transaction_id, l_p.global_position)
            FROM private.projection_acted_until(l_p.version_of) AS a) THEN
        RETURN 0;  -- a version that is not live, as far as the live one
    END IF;
    -- One horizon for the read and for the checkpoint: when fewer events than the limit
    -- come back, everything before this horizon has been examined.
    l_horizon := private.read_horizon();  -- the statements below read with later snapshots
    IF l_p.status = 'running' AND NOT EXISTS (
            SELECT FROM data.events AS e
            WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                         l_p.generation, l_p.transaction_id, l_p.global_position,
                                         l_horizon.generation, l_horizon.transaction_id)) THEN
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
    -- Read with the lock held: a promotion renames rows only with their checkpoints locked.
    SELECT p.handler_invoker, p.event_types, p.stream_types, p.batch_size, p.version_of,
           p.replay_generation, p.replay_transaction_id, p.replay_global_position
    INTO l_p
    FROM data.projections AS p
    WHERE p.projection_name = in_projection_name;
    l_live := l_p.version_of = in_projection_name;
    IF NOT l_live THEN
        SELECT a.generation, a.transaction_id, a.global_position INTO l_cap
        FROM private.projection_acted_until(l_p.version_of) AS a;
        l_mark := l_cap;
    ELSE
        SELECT l_p.replay_generation AS generation, l_p.replay_transaction_id AS transaction_id,
               l_p.replay_global_position AS global_position
        INTO l_mark;
        l_cap := l_mark;  -- not used for the live version (assigned: PL/pgSQL reads every field of a condition)
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
        l_kept := l_fetched_count;
        -- Not live: only what the live version has acted on (the events come in log order).
        IF NOT l_live AND l_kept > 0
           AND ((l_fetched[l_kept]).generation, (l_fetched[l_kept]).transaction_id, (l_fetched[l_kept]).global_position)
               > (l_cap.generation, l_cap.transaction_id, l_cap.global_position) THEN
            l_kept := 0;
            WHILE l_kept < l_fetched_count
                  AND ((l_fetched[l_kept + 1]).generation, (l_fetched[l_kept + 1]).transaction_id,
                       (l_fetched[l_kept + 1]).global_position)
                      <= (l_cap.generation, l_cap.transaction_id, l_cap.global_position) LOOP
                l_kept := l_kept + 1;
            END LOOP;
            l_capped := true;
        END IF;
        -- Replays (at or below the mark) and the rest go in batches of their own.
        l_replaying := l_kept > 0
            AND ((l_fetched[1]).generation, (l_fetched[1]).transaction_id, (l_fetched[1]).global_position)
                <= (l_mark.generation, l_mark.transaction_id, l_mark.global_position);
        IF l_replaying AND l_live
           AND ((l_fetched[l_kept]).generation, (l_fetched[l_kept]).transaction_id, (l_fetched[l_kept]).global_position)
               > (l_mark.generation, l_mark.transaction_id, l_mark.global_position) THEN
            l_kept := 1;
            WHILE ((l_fetched[l_kept + 1]).generation, (l_fetched[l_kept + 1]).transaction_id,
                   (l_fetched[l_kept + 1]).global_position)
                  <= (l_mark.generation, l_mark.transaction_id, l_mark.global_position) LOOP
                l_kept := l_kept + 1;
            END LOOP;
        END IF;
        l_events := CASE WHEN l_kept = l_fetched_count THEN l_fetched ELSE l_fetched[1:l_kept] END;
        IF pg_catalog.cardinality(l_skips) > 0 THEN
            l_events := '{}';
            FOR l_i IN 1 .. l_kept LOOP
                IF (l_fetched[l_i]).id <> ALL (l_skips) THEN
                    l_events := l_events || l_fetched[l_i];
                END IF;
            END LOOP;
        END IF;
        l_count := COALESCE(pg_catalog.cardinality(l_events), 0);
    END IF;

    IF l_count > 0 THEN
        -- Set before every call, so that nobody else's setting can turn side effects off.
        PERFORM pg_catalog.set_config('eventstore.projection_replaying',
                                      CASE WHEN l_replaying THEN 'on' ELSE 'off' END, true);
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
        PERFORM pg_catalog.set_config('eventstore.projection_replaying', 'off', true);
    END IF;

    IF l_failed IS NOT NULL THEN
        PERFORM private.mark_projection_failed(in_projection_name, l_sqlstate, l_message, l_failed.id);
    END IF;

    -- The checkpoint moves past what was applied, and past skipped events when the whole
    -- batch went through.
    IF l_applied > 0 OR (l_failed IS NULL AND l_kept > 0) THEN
        l_last := CASE WHEN l_failed IS NULL THEN l_fetched[l_kept] ELSE l_events[l_applied] END;
        UPDATE data.projection_checkpoints AS c
        SET last_event_id = l_last.id,
            last_processed = pg_catalog.now(),
            generation = l_last.generation,
            transaction_id = l_last.transaction_id,
            global_position = l_last.global_position,
            events_applied = c.events_applied + l_applied
        WHERE c.projection_name = in_projection_name;
    END IF;

    -- A version that is not live has caught up with the live one when the cap cut the batch,
    -- or when it caught up with the horizon: it moves to the earlier of the two.
    IF NOT l_live AND l_failed IS NULL
       AND (l_capped OR (l_read_count < l_limit AND l_fetched_count = l_read_count)) THEN
        SELECT t.* INTO l_target
        FROM (VALUES (l_cap.generation, l_cap.transaction_id, l_cap.global_position),
                     (l_horizon.generation, l_horizon.transaction_id, -1::bigint))
             AS t (generation, transaction_id, global_position)
        ORDER BY t.generation, t.transaction_id, t.global_position
        LIMIT 1;
        UPDATE data.projection_checkpoints AS c
        SET generation = l_target.generation,
            transaction_id = l_target.transaction_id,
            global_position = l_target.global_position,
            status = 'running'
        WHERE c.projection_name = in_projection_name
          AND (c.status = 'rebuilding'
               OR (c.generation, c.transaction_id, c.global_position)
                  < (l_target.generation, l_target.transaction_id, l_target.global_position));
    -- Caught up only if the read returned less than asked and the bytes cut nothing.
    ELSIF l_live AND l_failed IS NULL AND l_read_count < l_limit AND l_fetched_count = l_read_count
          AND l_kept = l_fetched_count THEN
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
                          WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                                       c.generation, c.transaction_id, c.global_position,
                                                       l_horizon.generation, l_horizon.transaction_id)));
    END IF;

    RETURN l_applied;
END;
$$;

COMMENT ON FUNCTION private.run_projection_batch(in_projection_name text, in_batch_size integer) IS 'Applies the next batch of one projection with its checkpoint, in the caller''s transaction';
REVOKE ALL ON FUNCTION private.run_projection_batch(in_projection_name text, in_batch_size integer) FROM PUBLIC;
