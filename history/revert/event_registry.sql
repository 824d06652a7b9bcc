-- Revert eventstore:event_registry from pg

BEGIN;

DROP FUNCTION private.refresh_event_type(text);
DROP TABLE data.event_types;
DROP TABLE data.event_upcasters;
DROP TABLE data.event_schemas;

COMMIT;
