-- Revert eventstore:retention from pg
-- (What retention removed stays removed; its audit rows stay in data.event_removals.)

BEGIN;

DROP PROCEDURE api.apply_retention(integer);
DROP FUNCTION api.apply_retention_step(integer);
DROP FUNCTION private.expired_event_partition();
DROP FUNCTION private.forget_deliveries_created_before(timestamptz);
DROP FUNCTION api.set_retention(text, interval);
DROP TABLE data.retention_policies;

COMMIT;
