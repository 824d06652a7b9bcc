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

-- Since v1.1.0 (the reworked change): NULL arguments must be ZE003.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.get_stream_version(text, uuid)'::pg_catalog.regprocedure), 'ZE003') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked get_stream_version: NULL arguments must be ZE003';
    END IF;
END
$$;

ROLLBACK;
