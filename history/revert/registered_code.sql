-- Revert eventstore:registered_code from pg
-- Registrations call their functions directly again (as the bundle's owner).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

ALTER TABLE data.projections
    DROP COLUMN handler_invoker,
    DROP COLUMN reset_handler_invoker,
    DROP COLUMN registered_by;
ALTER TABLE data.event_upcasters
    DROP COLUMN upcaster_invoker,
    DROP COLUMN registered_by;
ALTER TABLE data.reducers
    DROP COLUMN reducer_invoker,
    DROP COLUMN registered_by;

DO $$
DECLARE
    l_invoker regprocedure;
BEGIN
    FOR l_invoker IN SELECT f.oid::regprocedure FROM pg_catalog.pg_proc AS f
                     WHERE f.pronamespace = 'registered'::pg_catalog.regnamespace LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s', l_invoker);
    END LOOP;
END
$$;

DROP FUNCTION private.drop_unused_invokers();
DROP FUNCTION private.invoker_call(regprocedure, text);
DROP FUNCTION private.make_invoker(regprocedure, text, name, boolean);
DROP FUNCTION private.registration_problem(regprocedure, name);
DROP FUNCTION private.acts_for(name, oid);
DROP FUNCTION private.calling_role();
DROP SCHEMA registered;

COMMIT;
