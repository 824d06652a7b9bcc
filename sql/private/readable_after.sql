-- The store's gap-free read, as one predicate: the event at log position (generation,
-- transaction_id, global_position) comes after a reader's cursor and is readable, i.e. before
-- the read horizon (private.read_horizon): no transaction that could still commit an event
-- before it is open. Every reader of the whole log (private.log_events, private.log_refs,
-- private.first_unreadable_event, private.subscription_intake, private.count_events_after, the
-- projection runner) filters with it, and nothing else writes the comparison.
--
-- A SQL function with a RETURN body and no SET clause, so the planner inlines it: the row
-- comparisons it becomes are index conditions on the log order index of every partition, and
-- an ordered Merge Append of them stops after the reader's LIMIT.

CREATE OR REPLACE FUNCTION private.readable_after(
    in_generation integer,
    in_transaction_id xid8,
    in_global_position bigint,
    in_after_generation integer,
    in_after_transaction_id xid8,
    in_after_global_position bigint,
    in_horizon_generation integer,
    in_horizon_transaction_id xid8)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN (in_generation, in_transaction_id, in_global_position)
       > (in_after_generation, in_after_transaction_id, in_after_global_position)
   AND (in_generation, in_transaction_id) < (in_horizon_generation, in_horizon_transaction_id);

COMMENT ON FUNCTION private.readable_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_horizon_generation integer, in_horizon_transaction_id xid8) IS 'The gap-free read: the event at a log position is after the cursor and before the read horizon';
REVOKE ALL ON FUNCTION private.readable_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;
