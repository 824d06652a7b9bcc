-- Revert eventstore:get_all_events from pg

BEGIN;

DROP FUNCTION api.get_all_events(uuid, integer);

COMMIT;
