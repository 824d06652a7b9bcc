-- pgTAP: change orders:orders_schema (the example in a schema of its own)
BEGIN;
SELECT plan(6);

SELECT has_schema('orders');
SELECT has_table('orders'::name, 'customers'::name);
SELECT has_table('orders'::name, 'order_summaries'::name);
SELECT has_table('orders'::name, 'order_summaries_v2'::name);
SELECT is((SELECT count(*)::integer FROM pg_class
           WHERE relnamespace IN ('data'::regnamespace, 'api'::regnamespace, 'private'::regnamespace)
             AND relname IN ('customers', 'order_summaries', 'order_summaries_v2', 'order_summaries_live')), 0,
          'nothing of the example is left in the core''s schemas');
SELECT ok(has_schema_privilege('eventstore_reader', 'orders', 'USAGE'), 'readers reach its functions');

SELECT * FROM finish();
ROLLBACK;
