-- Verify eventstore:schemas on pg

BEGIN;

DO $$
BEGIN
    IF (SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname IN ('data', 'private', 'api')) <> 3 THEN
        RAISE EXCEPTION 'schemas data, private and api must exist';
    END IF;
    IF NOT pg_catalog.has_schema_privilege('eventstore_reader', 'api', 'USAGE') THEN
        RAISE EXCEPTION 'readers use api';
    END IF;
    IF pg_catalog.has_schema_privilege('public', 'data', 'USAGE') THEN
        RAISE EXCEPTION 'PUBLIC must have nothing in data';
    END IF;
    IF pg_catalog.has_schema_privilege('eventstore_writer', 'private', 'USAGE') THEN
        RAISE EXCEPTION 'private stays private';
    END IF;
END
$$;

ROLLBACK;
