-- Verify eventstore:get_stream_version on pg

BEGIN;

DO $$
BEGIN
    IF (SELECT p.prorettype FROM pg_catalog.pg_proc AS p
        WHERE p.oid = 'api.get_stream_version(text, uuid)'::pg_catalog.regprocedure) <> 'integer'::pg_catalog.regtype THEN
        RAISE EXCEPTION 'expected: api.get_stream_version returns integer';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_reader', 'api.get_stream_version(text, uuid)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: readers read stream versions';
    END IF;
END
$$;

ROLLBACK;
