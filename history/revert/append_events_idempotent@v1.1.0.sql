-- Revert eventstore:append_events_idempotent from pg

BEGIN;

DROP PROCEDURE api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer);

COMMIT;
