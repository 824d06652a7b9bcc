-- The first event after a position that cannot be read (its upcast fails), or NULL: the
-- events read one at a time (private.read_event_alone).

CREATE OR REPLACE FUNCTION private.first_unreadable_event(
    in_generation integer, in_transaction_id xid8, in_global_position bigint, in_limit integer,
    in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8,
    OUT event_id uuid, OUT error_sqlstate text, OUT error_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_event record;
    l_read record;
BEGIN
    FOR l_event IN
        SELECT e.id, e.created_at FROM data.events AS e
        WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                     in_generation, in_transaction_id, in_global_position,
                                     in_horizon_generation, in_horizon_transaction_id)
          AND (in_event_types IS NULL OR e.event_type = ANY (in_event_types))
          AND (in_stream_types IS NULL OR e.stream_type = ANY (in_stream_types))
        ORDER BY e.generation, e.transaction_id, e.global_position
        LIMIT in_limit
    LOOP
        l_read := private.read_event_alone(l_event.id, l_event.created_at);
        IF l_read.error_sqlstate IS NOT NULL THEN
            event_id := l_event.id;
            error_sqlstate := l_read.error_sqlstate;
            error_message := l_read.error_message;
            RETURN;
        END IF;
    END LOOP;
END;
$$;

REVOKE ALL ON FUNCTION private.first_unreadable_event(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8, OUT event_id uuid, OUT error_sqlstate text, OUT error_message text) FROM PUBLIC;
