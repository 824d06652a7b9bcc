-- Verify eventstore:idempotency_keys on pg

BEGIN;

SELECT idempotency_key, stream_type, stream_id, first_version, new_version, created_at
FROM data.idempotency_keys
WHERE false;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
                   WHERE conrelid = 'data.idempotency_keys'::pg_catalog.regclass AND contype = 'p') THEN
        RAISE EXCEPTION 'the idempotency key must be the primary key';
    END IF;
END
$$;

ROLLBACK;
