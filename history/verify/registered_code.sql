-- Verify eventstore:registered_code on pg

BEGIN;

SELECT handler_invoker, reset_handler_invoker, registered_by FROM data.projections WHERE false;
SELECT upcaster_invoker, registered_by FROM data.event_upcasters WHERE false;
SELECT reducer_invoker, registered_by FROM data.reducers WHERE false;

SELECT 'private.calling_role()'::pg_catalog.regprocedure,
       'private.acts_for(name, oid)'::pg_catalog.regprocedure,
       'private.registration_problem(regprocedure, name)'::pg_catalog.regprocedure,
       'private.make_invoker(regprocedure, text, name, boolean)'::pg_catalog.regprocedure,
       'private.invoker_call(regprocedure, text)'::pg_catalog.regprocedure,
       'private.drop_unused_invokers()'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_schema_privilege('public', 'registered', 'CREATE')
       OR pg_catalog.has_schema_privilege('eventstore_admin', 'registered', 'CREATE') THEN
        RAISE EXCEPTION 'nobody but the bundle''s owner may create objects in schema registered';
    END IF;
    IF pg_catalog.has_function_privilege('eventstore_admin', 'private.make_invoker(regprocedure, text, name, boolean)', 'EXECUTE') THEN
        RAISE EXCEPTION 'private.make_invoker must not be executable by admins';
    END IF;
END
$$;

ROLLBACK;
