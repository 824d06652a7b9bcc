-- Refs of the events after a cursor position up to a horizon, in log order, optionally of
-- some types only: where events are (id, created_at, their place in the log, their stream),
-- not what they say (nothing upcast, nothing that can fail). The cursor position of one event
-- is private.cursor_position.

CREATE OR REPLACE FUNCTION private.log_refs(
    in_after_generation integer,
    in_after_transaction_id xid8,
    in_after_global_position bigint,
    in_limit integer,
    in_event_types text[],
    in_stream_types text[],
    in_horizon_generation integer,
    in_horizon_transaction_id xid8)
RETURNS TABLE (id uuid, created_at timestamptz, generation integer, transaction_id xid8,
               global_position bigint, stream_type text, stream_id uuid, version integer)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET enable_sort = off  -- an ordered Merge Append of the partitions' indexes (see private.log_events)
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT e.id, e.created_at, e.generation, e.transaction_id, e.global_position,
           e.stream_type, e.stream_id, e.version
    FROM data.events AS e
    WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                 in_after_generation, in_after_transaction_id, in_after_global_position,
                                 in_horizon_generation, in_horizon_transaction_id)
      AND (in_event_types IS NULL OR e.event_type = ANY (in_event_types))
      AND (in_stream_types IS NULL OR e.stream_type = ANY (in_stream_types))
    ORDER BY e.generation, e.transaction_id, e.global_position
    LIMIT in_limit;
END;
$$;

REVOKE ALL ON FUNCTION private.log_refs(in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;
