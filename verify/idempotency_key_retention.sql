-- Verify eventstore:idempotency_key_retention on pg

BEGIN;

DO $$
BEGIN
    INSERT INTO data.idempotency_keys (idempotency_key, stream_type, stream_id, created_at)
    VALUES ('00000000-0000-7000-8000-00000000000a', 'VerifyStream', '00000000-0000-0000-0000-000000000000',
            pg_catalog.now() - interval '40 days'),
           ('00000000-0000-7000-8000-00000000000b', 'VerifyStream', '00000000-0000-0000-0000-000000000000',
            pg_catalog.now());
    ASSERT api.purge_idempotency_keys() = 1, 'the old key is purged, the fresh one kept';
    ASSERT pg_catalog.has_function_privilege('eventstore_admin', 'api.purge_idempotency_keys(interval)', 'EXECUTE'),
        'admins purge keys';
END
$$;

-- Since v1.1.0 (the reworked change): retention must be bounded.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.purge_idempotency_keys(interval)'::pg_catalog.regprocedure), '1000 years') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked idempotency_key_retention: retention must be bounded';
    END IF;
END
$$;

ROLLBACK;
