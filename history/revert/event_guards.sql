-- Revert eventstore:event_guards from pg

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Deployed by a role that is not a superuser, the change created no event trigger.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS t WHERE t.evtname = 'eventstore_guard_drops') THEN
        DROP EVENT TRIGGER eventstore_guard_drops;
        DROP EVENT TRIGGER eventstore_guard_events_ddl;
    END IF;
END
$$;

DROP FUNCTION private.guard_drops();
DROP FUNCTION private.guard_events_ddl();

COMMIT;
