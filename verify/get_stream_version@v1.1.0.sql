-- Verify eventstore:get_stream_version on pg

BEGIN;

DO $$
BEGIN
    ASSERT api.get_stream_version('VerifyStream', '00000000-0000-0000-0000-000000000000') = 0,
        'a stream without events is at version 0';
    ASSERT pg_catalog.has_function_privilege('eventstore_reader', 'api.get_stream_version(text, uuid)', 'EXECUTE'),
        'readers read stream versions';
END
$$;

ROLLBACK;
