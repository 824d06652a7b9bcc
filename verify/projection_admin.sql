-- Verify eventstore:projection_admin on pg

BEGIN;

DO $$
BEGIN
    ASSERT pg_catalog.has_function_privilege('eventstore_admin',
        'api.register_projection(text, regprocedure, regprocedure, text[], text[], integer)', 'EXECUTE'),
        'admins register projections';
    ASSERT NOT pg_catalog.has_function_privilege('eventstore_projector',
        'api.register_projection(text, regprocedure, regprocedure, text[], text[], integer)', 'EXECUTE'),
        'projectors do not';
    ASSERT pg_catalog.has_function_privilege('eventstore_projector', 'api.rebuild_projection(text)', 'EXECUTE'),
        'projectors rebuild';
    ASSERT pg_catalog.has_function_privilege('eventstore_projector', 'api.resume_projection(text, boolean)', 'EXECUTE'),
        'projectors resume';
    ASSERT pg_catalog.has_schema_privilege('eventstore_admin', 'data', 'USAGE'), 'admins name data types';
    ASSERT NOT pg_catalog.has_table_privilege('eventstore_admin', 'data.events', 'SELECT'), 'but read no table';
END
$$;

-- Since v1.1.0 (the reworked change): handlers must run through invokers.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.register_projection(text, regprocedure, regprocedure, text[], text[], integer)'::pg_catalog.regprocedure), 'make_invoker') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked projection_admin: handlers must run through invokers';
    END IF;
END
$$;

ROLLBACK;
