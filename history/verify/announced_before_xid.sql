-- Verify eventstore:announced_before_xid on pg

BEGIN;

SELECT 'private.announced_before_xid()'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'private.announced_before_xid()', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.announced_before_xid';
    END IF;
END
$$;

ROLLBACK;
