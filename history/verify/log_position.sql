-- Verify eventstore:log_position on pg

BEGIN;

SELECT 'private.cursor_position(uuid)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.cursor_position(uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.cursor_position';
    END IF;
END
$$;

ROLLBACK;
