-- Revert eventstore:event_upcasters from pg

BEGIN;

DROP FUNCTION api.register_upcaster(text, integer, regprocedure);
DROP VIEW private.events_upcast;
DROP FUNCTION private.upcast_event(text, jsonb, integer, integer);

COMMIT;
