-- Verify orders:orders_schema on pg

BEGIN;

SELECT 1/pg_catalog.has_schema_privilege('eventstore_reader', 'orders', 'USAGE')::int;
SELECT id, name, email, created_at FROM orders.customers WHERE false;
SELECT order_id, customer_id, status, total_items, total_amount, created_at, updated_at
FROM orders.order_summaries WHERE false;
SELECT order_id, customer_id, status, total_items, total_amount, created_at, updated_at, submitted_at, cancel_reason
FROM orders.order_summaries_v2 WHERE false;
SELECT 'orders.customers_email_key'::regclass, 'orders.order_summaries_customer_idx'::regclass,
       'orders.order_summaries_v2_customer_idx'::regclass;

ROLLBACK;
