-- pgTAP: change orders:get_customer_orders
BEGIN;
SELECT plan(7);

SELECT has_function('orders', 'get_customer_orders', ARRAY['uuid', 'text', 'integer']);
SELECT is_definer('orders', 'get_customer_orders', ARRAY['uuid', 'text', 'integer']);
SELECT function_privs_are('orders', 'get_customer_orders', ARRAY['uuid', 'text', 'integer'], 'eventstore_reader', ARRAY['EXECUTE']);

INSERT INTO orders.order_summaries VALUES
 ('018f0000-0000-7000-8000-0000000000a1', '018f0000-0000-7000-8000-0000000000c1', 'submitted', 2, 20, '2026-01-01', '2026-01-01'),
 ('018f0000-0000-7000-8000-0000000000a2', '018f0000-0000-7000-8000-0000000000c1', 'created', 1, 5, '2026-01-03', '2026-01-03'),
 ('018f0000-0000-7000-8000-0000000000a3', '018f0000-0000-7000-8000-0000000000c1', 'cancelled', 0, 0, '2026-01-02', '2026-01-02'),
 ('018f0000-0000-7000-8000-0000000000a4', '018f0000-0000-7000-8000-0000000000c2', 'created', 1, 1, '2026-01-04', '2026-01-04');

SELECT results_eq($$SELECT order_id FROM orders.get_customer_orders('018f0000-0000-7000-8000-0000000000c1')$$,
                  ARRAY['018f0000-0000-7000-8000-0000000000a2', '018f0000-0000-7000-8000-0000000000a3',
                        '018f0000-0000-7000-8000-0000000000a1']::uuid[], 'newest first, that customer only');
SELECT results_eq($$SELECT order_id FROM orders.get_customer_orders('018f0000-0000-7000-8000-0000000000c1', 'submitted')$$,
                  ARRAY['018f0000-0000-7000-8000-0000000000a1']::uuid[], 'of a status');
SELECT results_eq($$SELECT count(*)::integer FROM orders.get_customer_orders('018f0000-0000-7000-8000-0000000000c1', NULL, 2)$$,
                  ARRAY[2], 'at most in_limit');
SELECT throws_ok($$SELECT * FROM orders.get_customer_orders('018f0000-0000-7000-8000-0000000000c1', 'shipped')$$, 'ZE003',
                 'in_status must be created, submitted, cancelled or NULL (any), got shipped');

SELECT * FROM finish();
ROLLBACK;
