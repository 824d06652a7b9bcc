-- pgTAP: change order_domain_moved
-- This database has the core and the Order example (examples/orders) deployed: the example made
-- the Order objects again after the core dropped them. Each is there once. (What the change
-- drops, keeps and gives back on revert is tested across deploys: tests/test_order_example.py
-- and tests/test_migrations.py.)
BEGIN;
SELECT plan(4);

SELECT is((SELECT count(*)::integer FROM data.projections WHERE projection_name = 'order_summaries'), 1,
          'one order_summaries projection');
SELECT is((SELECT count(*)::integer FROM data.reducers WHERE stream_type = 'Order'), 1, 'one Order reducer');
SELECT is((SELECT count(*)::integer FROM data.event_upcasters WHERE event_type = 'OrderCreated'), 1,
          'one OrderCreated upcaster');
SELECT is((SELECT current_version FROM data.event_types WHERE event_type = 'OrderCreated'), 2,
          'OrderCreated is at version 2');

SELECT * FROM finish();
ROLLBACK;
