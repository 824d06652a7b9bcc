-- Verify eventstore:idempotency_key_retention on pg

BEGIN;

DO $$
BEGIN
    IF pg_catalog.has_function_privilege('eventstore_writer', 'api.purge_idempotency_keys(interval)', 'EXECUTE') THEN
        RAISE EXCEPTION 'expected: writers do not purge keys';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_admin', 'api.purge_idempotency_keys(interval)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: admins purge keys';
    END IF;
END
$$;

ROLLBACK;
