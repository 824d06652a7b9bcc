-- Revert eventstore:log_lag from pg

BEGIN;

DROP FUNCTION private.horizon_holder(integer, text);
DROP FUNCTION private.count_events_after(integer, xid8, bigint, text[], text[], integer, xid8);

COMMIT;
