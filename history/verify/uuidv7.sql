-- Verify eventstore:uuidv7 on pg (its values: tests/pgtap/uuidv7.sql)

BEGIN;

SELECT 'private.uuidv7()'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF (SELECT p.provolatile FROM pg_catalog.pg_proc AS p WHERE p.oid = 'private.uuidv7()'::pg_catalog.regprocedure) <> 'v' THEN
        RAISE EXCEPTION 'private.uuidv7 must be VOLATILE (a new id each call)';
    END IF;
END
$$;

ROLLBACK;
