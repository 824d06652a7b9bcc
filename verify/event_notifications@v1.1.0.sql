-- Verify eventstore:event_notifications on pg

BEGIN;

DO $$
BEGIN
    ASSERT (SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'notifications')
           = 'private.notify_events(data.events[])'::pg_catalog.regprocedure, 'projection notifications is registered';
END
$$;

ROLLBACK;
