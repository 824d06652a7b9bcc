-- Revert eventstore:get_events from pg

BEGIN;

DROP FUNCTION api.get_events(text, uuid, integer);

COMMIT;
