-- Verify eventstore:projection_admin on pg

BEGIN;

DO $$
BEGIN
    IF NOT (pg_catalog.has_function_privilege('eventstore_admin',
        'api.register_projection(text, regprocedure, regprocedure, text[], text[], integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: admins register projections';
    END IF;
    IF (pg_catalog.has_function_privilege('eventstore_projector',
        'api.register_projection(text, regprocedure, regprocedure, text[], text[], integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: projectors do not';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_projector', 'api.rebuild_projection(text)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: projectors rebuild';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_projector', 'api.resume_projection(text, boolean)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: projectors resume';
    END IF;
    IF NOT (pg_catalog.has_schema_privilege('eventstore_admin', 'data', 'USAGE')) THEN
        RAISE EXCEPTION 'expected: admins name data types';
    END IF;
    IF (pg_catalog.has_table_privilege('eventstore_admin', 'data.events', 'SELECT')) THEN
        RAISE EXCEPTION 'expected: but read no table';
    END IF;
END
$$;

ROLLBACK;
