-- Verify eventstore:event_removals on pg

BEGIN;

SELECT removal_id, kind, stream_type, stream_id, before, transaction_id, removed_by, removed_at, events_removed
FROM data.event_removals WHERE false;
SELECT id, generation, transaction_id, global_position, removal_id FROM data.removed_events WHERE false;

ROLLBACK;
