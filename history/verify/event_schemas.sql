-- Verify eventstore:event_schemas on pg

BEGIN;

SELECT 'api.register_event_schema(text, integer, jsonb)'::pg_catalog.regprocedure,
       'private.json_schema_error(jsonb, jsonb, text)'::pg_catalog.regprocedure,
       'private.json_schema_problem(jsonb, text)'::pg_catalog.regprocedure,
       'private.check_event_schema(text, integer, jsonb, bigint)'::pg_catalog.regprocedure,
       'private.regex_problem(text)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.register_event_schema(text, integer, jsonb)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_writer', 'api.register_event_schema(text, integer, jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'admins, and only admins, register schemas';
    END IF;
END
$$;

ROLLBACK;
