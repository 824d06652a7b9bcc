-- The log number of an event: an integer that grows strictly in log order, for readers that
-- need an integer cursor (eventsourcing's notification ids). An event's number is
--
--     ((generation - 1) * 2^64 + transaction id) * 2^32 + offset
--
-- where offset counts from 1 at the first log position its transaction took (removed events
-- included, so a purge renumbers nothing). Log order is (generation, transaction id, global
-- position), so the numbers follow it; one transaction's events form one block, in which no
-- other transaction's number falls (its offsets may skip positions other transactions took
-- meanwhile). A number is known when the event is appended (api.append_versioned returns them)
-- and never changes. Numbers stay below 2^63 (a bigint) in the first generation until the
-- cluster's transaction ids pass 2^31; after a restore (generation 2 and later) they are larger.
-- All events of a transaction share created_at (its start): the lookup reads one partition.
-- A SQL function with a RETURN body and no SET clause, so that the planner inlines it.

CREATE OR REPLACE FUNCTION private.log_number(
    in_generation integer,
    in_transaction_id xid8,
    in_global_position bigint,
    in_created_at timestamptz)
RETURNS numeric
LANGUAGE sql
STABLE PARALLEL SAFE
RETURN ((in_generation - 1)::numeric * 18446744073709551616 + in_transaction_id::text::numeric) * 4294967296
       + in_global_position + 1
       - LEAST((SELECT pg_catalog.min(e.global_position) FROM data.events AS e
                WHERE e.created_at = in_created_at AND e.generation = in_generation
                  AND e.transaction_id = in_transaction_id),
               (SELECT pg_catalog.min(r.global_position) FROM data.removed_events AS r
                WHERE r.generation = in_generation AND r.transaction_id = in_transaction_id));

COMMENT ON FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) IS 'The log number of the event at a log position: strictly increasing in log order, one block per transaction, never changing';
REVOKE ALL ON FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) FROM PUBLIC;
