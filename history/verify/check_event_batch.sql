-- Verify eventstore:check_event_batch on pg

BEGIN;

SELECT 'private.check_event_batch(jsonb)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.check_event_batch(jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.check_event_batch';
    END IF;
END
$$;

ROLLBACK;
