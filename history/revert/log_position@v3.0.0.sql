-- Revert eventstore:log_position from pg
-- The function as log_order made it (removed events unknown).

BEGIN;

-- The log position of an event, the cursor behind the seed's in_after_id / last_event_id.
-- NULL is the start of the log; an id that names no event is an error, not a restart. An
-- event of a retired month (its id's time falls in it, or within a day after: a
-- transaction's created_at is its start) is a position just before that month's first
-- event: the reader continues there, may see again events it read, and never misses one.
CREATE OR REPLACE FUNCTION private.log_position(
    in_event_id uuid,
    OUT generation integer,
    OUT transaction_id xid8,
    OUT global_position bigint)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_event_id IS NULL THEN
        generation := 0;
        transaction_id := '0'::xid8;
        global_position := 0;
        RETURN;
    END IF;

    SELECT e.generation, e.transaction_id, e.global_position
    INTO generation, transaction_id, global_position
    FROM data.events AS e
    WHERE e.id = in_event_id;

    IF NOT FOUND THEN
        SELECT r.first_generation, r.first_transaction_id, r.first_global_position - 1
        INTO generation, transaction_id, global_position
        FROM data.retired_event_partitions AS r
        WHERE r.first_generation IS NOT NULL
          AND private.uuidv7_time(in_event_id) >= r.range_from
          AND private.uuidv7_time(in_event_id) < r.range_to + interval '1 day'
        ORDER BY r.range_from  -- the earlier of two: read again rather than skip
        LIMIT 1;
        IF FOUND THEN
            RETURN;
        END IF;
        RAISE EXCEPTION 'no event has id %', in_event_id
            USING ERRCODE = 'ZE004',
                  HINT = 'Pass the id of the last event you read, or NULL to read from the start.';
    END IF;
END;
$$;

COMMIT;
