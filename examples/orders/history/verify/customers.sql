-- Verify orders:customers on pg

BEGIN;

SELECT id, name, email, created_at FROM data.customers WHERE false;
SELECT 'api.create_customer(text, text, uuid)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.create_customer(text, text, uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'writers must create customers';
    END IF;
    IF pg_catalog.has_function_privilege('eventstore_reader', 'api.create_customer(text, text, uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readers must not create customers';
    END IF;
    IF pg_catalog.to_regclass('data.customers_email_key') IS NULL THEN
        RAISE EXCEPTION 'data.customers needs its unique e-mail index';
    END IF;
END
$$;

ROLLBACK;
