-- Revert eventstore:snapshots from pg

BEGIN;

DROP FUNCTION api.load_aggregate(text, uuid);
DROP FUNCTION api.get_aggregate_state(text, uuid);
DROP PROCEDURE private.save_snapshot(text, uuid, integer, jsonb);
DROP FUNCTION private.snapshot_is_current(text, integer);
DROP TABLE data.snapshots;

COMMIT;
