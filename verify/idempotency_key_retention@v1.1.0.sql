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

ROLLBACK;
