-- The base of a transaction's log numbers (private.log_number): an event's number is this
-- plus its global position. It is the start of the transaction's block (private.log_block),
-- plus 1, less the first global position the transaction took (removed events included: a
-- purge renumbers nothing). api.append_events stores each event's number (data.events.log_number)
-- with it; readers read the stored numbers. All events of a transaction share created_at
-- (its start), so the lookup reads one partition. NULL for a transaction with no event.
-- PL/pgSQL, so that its two lookups are planned once per session (a SQL function with
-- subqueries is not inlined, and would be planned again on every call). Without bitmap scans:
-- the planner, which cannot estimate a transaction's size, would AND two bitmaps and read every
-- event of the transaction for its minimum (0.28 ms for 1,000 events) instead of the first
-- entry of the log order index.

CREATE OR REPLACE FUNCTION private.log_number_base(
    in_generation integer,
    in_transaction_id xid8,
    in_created_at timestamptz)
RETURNS numeric
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_bitmapscan = off
AS $$
DECLARE
    l_first bigint;
    l_removed bigint;
BEGIN
    SELECT pg_catalog.min(e.global_position) INTO l_first
    FROM data.events AS e
    WHERE e.created_at = in_created_at AND e.generation = in_generation AND e.transaction_id = in_transaction_id;
    SELECT pg_catalog.min(r.global_position) INTO l_removed
    FROM data.removed_events AS r
    WHERE r.generation = in_generation AND r.transaction_id = in_transaction_id;
    RETURN private.log_block(in_generation, in_transaction_id) + 1 - LEAST(l_first, l_removed);
END;
$$;

COMMENT ON FUNCTION private.log_number_base(in_generation integer, in_transaction_id xid8, in_created_at timestamp with time zone) IS 'The base of a transaction''s log numbers: an event''s number is it plus the event''s global position';
REVOKE ALL ON FUNCTION private.log_number_base(in_generation integer, in_transaction_id xid8, in_created_at timestamp with time zone) FROM PUBLIC;
