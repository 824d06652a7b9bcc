-- pgTAP: change order_domain_moved
-- This database has the core only (and the tests' fixture domain): the change, deployed where
-- no Order data was, left none of the v1.x Order domain behind. (That an upgrade with Order
-- data keeps it, and the revert gives it back, is tested across deploys in
-- tests/test_migrations.py; that the example then holds each Order object once, in
-- examples/orders/tests.)
BEGIN;
SELECT plan(4);

SELECT is((SELECT count(*)::integer FROM data.projections WHERE projection_name = 'order_summaries'), 0,
          'no order_summaries projection');
SELECT is((SELECT count(*)::integer FROM data.reducers WHERE stream_type = 'Order'), 0, 'no Order reducer');
SELECT is((SELECT count(*)::integer FROM data.event_upcasters WHERE event_type = 'OrderCreated'), 0,
          'no OrderCreated upcaster');
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_proc
           WHERE proname IN ('create_order', 'create_customer', 'order_reducer', 'get_customer_orders')), 0,
          'no Order function');

SELECT * FROM finish();
ROLLBACK;
