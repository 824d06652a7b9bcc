-- Verify eventstore:customers on pg

BEGIN;

SELECT id, name, email, created_at FROM data.customers WHERE false;

DO $$
DECLARE
    l_id uuid;
BEGIN
    CALL api.create_customer('Verify', 'verify@example.invalid', l_id);
    ASSERT (SELECT c.name FROM data.customers AS c WHERE c.id = l_id) = 'Verify', 'a customer is created';
    ASSERT pg_catalog.has_function_privilege('eventstore_writer', 'api.create_customer(text, text, uuid)', 'EXECUTE'),
        'writers create customers';
END
$$;

-- Since v1.1.0 (the reworked change): names and e-mails must be bounded.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.create_customer(text, text, uuid)'::pg_catalog.regprocedure), '320') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked customers: names and e-mails must be bounded';
    END IF;
END
$$;

ROLLBACK;
