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
-- The number is private.log_number_base of the event's transaction plus its global position:
-- a reader of many events of one transaction looks the base up once.
-- A SQL function with no SET clause, so that the planner inlines it (a string body: the
-- function it calls comes later in the deploy).

CREATE OR REPLACE FUNCTION private.log_number(
    in_generation integer,
    in_transaction_id xid8,
    in_global_position bigint,
    in_created_at timestamptz)
RETURNS numeric
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$ SELECT private.log_number_base(in_generation, in_transaction_id, in_created_at) + in_global_position $$;

COMMENT ON FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) IS 'The log number of the event at a log position: strictly increasing in log order, one block per transaction, never changing';
REVOKE ALL ON FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) FROM PUBLIC;
