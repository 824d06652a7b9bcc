-- Verify eventstore:schemas on pg

BEGIN;

DO $$
BEGIN
    ASSERT (SELECT count(*) FROM pg_catalog.pg_namespace
            WHERE nspname IN ('data', 'private', 'api')) = 3, 'schemas exist';
    ASSERT pg_catalog.has_schema_privilege('eventstore_reader', 'api', 'USAGE'),
        'readers use api';
    ASSERT NOT pg_catalog.has_schema_privilege('public', 'data', 'USAGE'),
        'PUBLIC has nothing in data';
    ASSERT NOT pg_catalog.has_schema_privilege('eventstore_writer', 'private', 'USAGE'),
        'private stays private';
END
$$;

ROLLBACK;
