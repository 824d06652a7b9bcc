-- Revert eventstore:events_append_only from pg

BEGIN;

DROP TRIGGER events_refuse_truncate ON data.events_default;
DROP TRIGGER events_refuse_truncate ON data.events;
DROP TRIGGER events_refuse_update_delete ON data.events;
DROP FUNCTION private.refuse_event_change();

COMMIT;
