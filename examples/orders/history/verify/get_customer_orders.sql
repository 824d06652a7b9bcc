-- Verify orders:get_customer_orders on pg

BEGIN;

SELECT order_id, status, total_items, total_amount, created_at
FROM api.get_customer_orders('00000000-0000-0000-0000-000000000000') WHERE false;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_reader', 'api.get_customer_orders(uuid, text, integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('public', 'api.get_customer_orders(uuid, text, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readers, not PUBLIC, must query orders';
    END IF;
END
$$;

ROLLBACK;
