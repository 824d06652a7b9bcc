-- pgTAP: change orders:order_summaries_v2
BEGIN;
SELECT plan(12);

SELECT has_table('orders'::name, 'order_summaries_v2'::name);
SELECT has_index('orders', 'order_summaries_v2', 'order_summaries_v2_customer_idx', ARRAY['customer_id', 'created_at']);
SELECT has_view('orders'::name, 'order_summaries_live'::name, 'readers'' name for the live version');
SELECT results_eq($$SELECT projection_name, live, status FROM api.projection_status
                    WHERE version_of = 'order_summaries' ORDER BY version$$,
                  $$VALUES ('order_summaries', true, 'running'), ('order_summaries@2', false, 'rebuilding')$$,
                  'version 2 is built beside the live version 1');

INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, transaction_id, global_position, created_at)
VALUES
 ('Order', '018f0000-0000-7000-8000-0000000000a1', 1, 'OrderCreated',
  '{"customer_id": "018f0000-0000-7000-8000-0000000000c1", "items": [{"product_id": "p1", "quantity": 2, "price": 10}]}',
  '3', 1, '2026-01-01 10:00+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a1', 2, 'ItemAdded', '{"product_id": "p3", "quantity": 3, "price": 1.5}', '3', 2, '2026-01-01 10:01+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a1', 3, 'OrderSubmitted', '{}', '3', 3, '2026-01-01 10:03+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a2', 1, 'OrderCreated', '{"customer_id": "018f0000-0000-7000-8000-0000000000c1"}', '4', 4, '2026-01-02 10:00+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a2', 2, 'OrderCancelled', '{"reason": "too slow"}', '4', 5, '2026-01-02 11:00+00');

SELECT is(api.run_projection('order_summaries@2'), 0, 'version 2 waits for what version 1 has acted on');
CALL orders.project_order_events(100);
SELECT is(api.run_projection('order_summaries@2'), 5, 'then replays it');
SELECT set_eq($$SELECT order_id, customer_id, status, total_items, total_amount, created_at, updated_at
                FROM orders.order_summaries_v2$$,
              'SELECT * FROM orders.order_summaries', 'version 2 holds what version 1 holds');
SELECT results_eq($$SELECT order_id, submitted_at, cancel_reason FROM orders.order_summaries_v2 ORDER BY order_id$$,
                  $$VALUES ('018f0000-0000-7000-8000-0000000000a1'::uuid, '2026-01-01 10:03+00'::timestamptz, NULL),
                           ('018f0000-0000-7000-8000-0000000000a2'::uuid, NULL, 'too slow')$$,
                  'and when each was submitted, why each was cancelled');
SELECT results_eq($$SELECT order_id, submitted_at FROM orders.order_summaries_live ORDER BY order_id$$,
                  $$VALUES ('018f0000-0000-7000-8000-0000000000a1'::uuid, NULL::timestamptz),
                           ('018f0000-0000-7000-8000-0000000000a2'::uuid, NULL)$$,
                  'readers see version 1');

SELECT api.promote_projection('order_summaries', 2);
SELECT results_eq($$SELECT order_id, submitted_at FROM orders.order_summaries_live ORDER BY order_id$$,
                  $$VALUES ('018f0000-0000-7000-8000-0000000000a1'::uuid, '2026-01-01 10:03+00'::timestamptz),
                           ('018f0000-0000-7000-8000-0000000000a2'::uuid, NULL)$$,
                  'after the promotion, version 2');
SELECT results_eq($$SELECT order_id, status FROM orders.get_customer_orders('018f0000-0000-7000-8000-0000000000c1')$$,
                  $$VALUES ('018f0000-0000-7000-8000-0000000000a2'::uuid, 'cancelled'),
                           ('018f0000-0000-7000-8000-0000000000a1'::uuid, 'submitted')$$,
                  'orders.get_customer_orders reads the live version');
SELECT is((SELECT status FROM data.projection_checkpoints WHERE projection_name = 'order_summaries@1'), 'paused',
          'version 1 stopped');

SELECT * FROM finish();
ROLLBACK;
