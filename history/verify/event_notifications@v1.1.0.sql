-- Verify eventstore:event_notifications on pg

BEGIN;

DO $$
BEGIN
    IF NOT ((SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'notifications')
           = 'private.notify_events(data.events[])'::pg_catalog.regprocedure) THEN
        RAISE EXCEPTION 'expected: projection notifications is registered';
    END IF;
END
$$;

ROLLBACK;
