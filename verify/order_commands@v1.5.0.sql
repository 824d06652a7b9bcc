-- Verify eventstore:order_commands on pg

BEGIN;

DO $$
DECLARE
    l_customer uuid;
    l_order uuid;
    l_version integer;
BEGIN
    CALL api.create_customer('Verify', NULL, l_customer);
    CALL api.create_order(l_customer, '[{"product_id": "p1", "quantity": 2, "price": 5}]', l_order);
    CALL api.submit_order(l_order, l_version);
    ASSERT l_version = 2, 'created and submitted';
    ASSERT (SELECT a.state ->> 'status' FROM api.load_aggregate('Order', l_order) AS a) = 'submitted',
        'the reducer sees it submitted';
    ASSERT pg_catalog.has_function_privilege('eventstore_writer', 'api.create_order(uuid, jsonb, uuid)', 'EXECUTE'),
        'writers run commands';
    ASSERT NOT pg_catalog.has_function_privilege('eventstore_reader', 'api.submit_order(uuid, integer)', 'EXECUTE'),
        'readers do not';
END
$$;

SELECT 'private.check_order_totals(uuid, numeric, numeric)'::pg_catalog.regprocedure;

ROLLBACK;
