-- Revert eventstore:automatic_snapshots from pg

BEGIN;

DELETE FROM data.projections WHERE projection_name = 'snapshots';
DROP TRIGGER reducers_sync_snapshot_projection ON data.reducers;
DROP FUNCTION private.sync_snapshot_projection();
DROP FUNCTION private.maybe_create_snapshot(data.events[]);

COMMIT;
