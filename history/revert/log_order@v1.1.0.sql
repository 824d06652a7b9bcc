-- Revert eventstore:log_order from pg

BEGIN;

DROP FUNCTION private.check_limit(integer);
DROP FUNCTION private.log_events(integer, xid8, bigint, integer, text[], text[], integer, xid8);
DROP FUNCTION private.log_position(uuid);
DROP FUNCTION private.log_horizon();

COMMIT;
