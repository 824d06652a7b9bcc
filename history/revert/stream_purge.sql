-- Revert eventstore:stream_purge from pg
-- (Purged streams stay purged; their audit rows stay in data.event_removals.)

BEGIN;

DROP FUNCTION api.purge_stream(text, uuid);
DROP FUNCTION private.forget_removed_deliveries(uuid[]);

COMMIT;
