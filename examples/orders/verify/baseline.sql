-- Verify orders:baseline on pg
-- Its tables with their columns, in the core's schema data where it made them or in orders,
-- where change orders_schema moves them (so that no later move of state reworks this), and its
-- registrations with the core. Its functions are verified by verify/code.sql.

BEGIN;

SELECT 1/(count(*) = 3)::int FROM (
    SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum) AS columns
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace AND n.nspname IN ('data', 'orders')
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relkind = 'r' AND c.relname IN ('customers', 'order_summaries', 'order_summaries_v2')
    GROUP BY c.relname) AS t
WHERE (t.relname, t.columns) IN (
    ('customers', ARRAY['id', 'name', 'email', 'created_at']),
    ('order_summaries', ARRAY['order_id', 'customer_id', 'status', 'total_items', 'total_amount', 'created_at',
                              'updated_at']),
    ('order_summaries_v2', ARRAY['order_id', 'customer_id', 'status', 'total_items', 'total_amount', 'created_at',
                                 'updated_at', 'submitted_at', 'cancel_reason']));
SELECT 1/(count(*) = 3)::int FROM data.projections
WHERE projection_name IN ('order_summaries', 'order_summaries@2', 'customer_erasure');
SELECT 1/count(*)::int FROM data.reducers WHERE stream_type = 'Order';
SELECT 1/count(*)::int FROM data.event_upcasters WHERE event_type = 'OrderCreated' AND from_version = 1;
SELECT 1/count(*)::int FROM data.personal_data WHERE event_type = 'OrderCreated';

ROLLBACK;
