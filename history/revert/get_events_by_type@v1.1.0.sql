-- Revert eventstore:get_events_by_type from pg

BEGIN;

DROP FUNCTION api.get_events_by_type(text[], uuid, integer);

COMMIT;
