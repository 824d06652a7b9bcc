-- Verify eventstore:event_guards on pg

BEGIN;

SELECT 'private.guard_events_ddl()'::pg_catalog.regprocedure, 'private.guard_drops()'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user)
       AND (SELECT count(*) FROM pg_catalog.pg_event_trigger AS t
            WHERE t.evtname IN ('eventstore_guard_events_ddl', 'eventstore_guard_drops') AND t.evtenabled = 'O') <> 2 THEN
        RAISE EXCEPTION 'the event triggers eventstore_guard_events_ddl and eventstore_guard_drops must be enabled';
    END IF;
    IF pg_catalog.has_function_privilege('eventstore_admin', 'private.guard_drops()', 'EXECUTE') THEN
        RAISE EXCEPTION 'private.guard_drops must not be executable by admins';
    END IF;
END
$$;

ROLLBACK;
