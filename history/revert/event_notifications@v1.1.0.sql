-- Revert eventstore:event_notifications from pg

BEGIN;

DELETE FROM data.projections WHERE projection_name = 'notifications';
DROP FUNCTION private.notify_events(data.events[]);

COMMIT;
