-- Verify eventstore:raise_append_conflict on pg

BEGIN;

SELECT 'private.raise_append_conflict(text, uuid, integer)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.raise_append_conflict(text, uuid, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.raise_append_conflict';
    END IF;
END
$$;

ROLLBACK;
