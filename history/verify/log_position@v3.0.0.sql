-- Verify eventstore:log_position on pg

BEGIN;

SELECT 'private.log_position(uuid)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.log_position(uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.log_position';
    END IF;
END
$$;

ROLLBACK;
