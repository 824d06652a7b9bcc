-- Revert eventstore:stream_deletion from pg
-- Deleted streams open again (their tombstones stay in the log: events are never removed).

BEGIN;

DROP FUNCTION api.delete_stream(text, uuid, integer);
DROP TRIGGER event_streams_refuse_deleted ON data.event_streams;
DROP FUNCTION private.refuse_deleted_stream();
DROP FUNCTION private.stream_is_deleted(text, uuid);
ALTER TABLE data.event_streams DROP COLUMN deleted_at;

COMMIT;
