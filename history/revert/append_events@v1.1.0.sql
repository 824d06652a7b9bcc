-- Revert eventstore:append_events from pg

BEGIN;

DROP PROCEDURE api.append_events(text, uuid, integer, jsonb, integer);
DROP FUNCTION private.raise_append_conflict(text, uuid, integer);
DROP FUNCTION private.check_event_batch(jsonb);

COMMIT;
