-- Revert eventstore:event_removals from pg

BEGIN;

DROP TABLE data.removed_events;
DROP TABLE data.event_removals;

COMMIT;
