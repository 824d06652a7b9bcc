-- Verify eventstore:event_notifications on pg

BEGIN;

DO $$
BEGIN
    ASSERT (SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'notifications')
           = 'private.notify_events(data.events[])'::pg_catalog.regprocedure, 'projection notifications is registered';
END
$$;

-- Since v1.1.0 (the reworked change): a notification too long to send must not stop the projection.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('private.notify_events(data.events[])'::pg_catalog.regprocedure), 'octet_length') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked event_notifications: a notification too long to send must not stop the projection';
    END IF;
END
$$;

ROLLBACK;
