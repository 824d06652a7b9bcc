-- pgTAP: change orders:baseline (the Order example's registrations with the core)
BEGIN;
SELECT plan(4);

SELECT is((SELECT array_agg(projection_name::text ORDER BY projection_name) FROM data.projections
           WHERE version_of IN ('order_summaries', 'customer_erasure')),
          ARRAY['customer_erasure', 'order_summaries', 'order_summaries@2'], 'its projections');
SELECT is((SELECT reducer::text FROM data.reducers WHERE stream_type = 'Order'),
          'orders.order_reducer(jsonb,data.events)', 'its reducer');
SELECT is((SELECT count(*)::integer FROM data.event_upcasters WHERE event_type = 'OrderCreated'), 1, 'its upcaster');
SELECT is((SELECT fields FROM data.personal_data WHERE event_type = 'OrderCreated'), ARRAY['shipping_address'],
          'the shipping address is personal data of the customer');

SELECT * FROM finish();
ROLLBACK;
