-- Revert eventstore:subscription_status from pg

BEGIN;

DROP VIEW api.parked_events;
DROP VIEW api.subscription_status;
DROP FUNCTION private.subscription_status();

COMMIT;
