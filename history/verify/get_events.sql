-- Verify eventstore:get_events on pg

BEGIN;

SELECT 'api.get_events(text, uuid, integer, integer)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_reader', 'api.get_events(text, uuid, integer, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readers read streams';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'api.get_events(text, uuid, integer, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not read streams';
    END IF;
END
$$;

ROLLBACK;
