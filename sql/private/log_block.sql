-- The first log number of a transaction's block (private.log_number): ((generation - 1) * 2^64
-- + transaction id) * 2^32. Its events' numbers are above it and below the next block's.
-- A SQL function with a RETURN body and no SET clause, so that the planner inlines it.

CREATE OR REPLACE FUNCTION private.log_block(
    in_generation integer,
    in_transaction_id xid8)
RETURNS numeric
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN ((in_generation - 1)::numeric * 18446744073709551616 + in_transaction_id::text::numeric) * 4294967296;

COMMENT ON FUNCTION private.log_block(in_generation integer, in_transaction_id xid8) IS 'Where a transaction''s block of log numbers starts: its events'' numbers are above it';
REVOKE ALL ON FUNCTION private.log_block(in_generation integer, in_transaction_id xid8) FROM PUBLIC;
