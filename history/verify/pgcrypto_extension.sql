-- Verify eventstore:pgcrypto_extension on pg

BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pgcrypto') THEN
        RAISE EXCEPTION 'the pgcrypto extension must exist';
    END IF;
END
$$;

ROLLBACK;
