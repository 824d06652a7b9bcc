-- pgTAP: change orders:order_summaries
BEGIN;
SELECT plan(10);

SELECT has_table('orders'::name, 'order_summaries'::name);
SELECT col_type_is('orders'::name, 'order_summaries'::name, 'total_amount'::name, 'numeric(15,2)');
SELECT has_index('orders', 'order_summaries', 'order_summaries_customer_idx', ARRAY['customer_id', 'created_at']);
SELECT has_function('orders', 'project_order_events', ARRAY['integer']);
SELECT has_function('orders', 'order_summaries_handler', ARRAY['data.events[]']);

-- Order events of finished transactions, straight into the log, as any writer could append them.
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, transaction_id, global_position, created_at)
VALUES
 ('Order', '018f0000-0000-7000-8000-0000000000a1', 1, 'OrderCreated',
  '{"customer_id": "018f0000-0000-7000-8000-0000000000c1", "items": [{"product_id": "p1", "quantity": 2, "price": 10}, {"product_id": "p2", "quantity": 1}]}',
  '3', 1, '2026-01-01 10:00+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a1', 2, 'ItemAdded', '{"product_id": "p3", "quantity": 3, "price": 1.5}', '3', 2, '2026-01-01 10:01+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a1', 3, 'GiftWrapped', '{"paper": "red"}', '3', 3, '2026-01-01 10:02+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a1', 4, 'OrderSubmitted', '{}', '3', 4, '2026-01-01 10:03+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a2', 1, 'OrderCreated', '{"customer_id": "018f0000-0000-7000-8000-0000000000c1"}', '4', 5, '2026-01-02 10:00+00'),
 ('Order', '018f0000-0000-7000-8000-0000000000a2', 2, 'OrderCancelled', '{}', '4', 6, '2026-01-02 11:00+00');

CALL orders.project_order_events(1);
SELECT is((SELECT count(*)::integer FROM orders.order_summaries), 1, 'the projection procedure applies one batch of its size');
CALL orders.project_order_events(100);
SELECT results_eq($$SELECT order_id, status, total_items, total_amount, created_at, updated_at
                    FROM orders.order_summaries ORDER BY order_id$$,
                  $$VALUES ('018f0000-0000-7000-8000-0000000000a1'::uuid, 'submitted', 6, 24.50::numeric,
                            '2026-01-01 10:00+00'::timestamptz, '2026-01-01 10:03+00'::timestamptz),
                           ('018f0000-0000-7000-8000-0000000000a2'::uuid, 'cancelled', 0, 0::numeric,
                            '2026-01-02 10:00+00'::timestamptz, '2026-01-02 11:00+00'::timestamptz)$$,
                  'items counted at creation and added, amounts, status, an unknown event type ignored');
SELECT is((SELECT status FROM data.projection_checkpoints WHERE projection_name = 'order_summaries'), 'running',
          'the unknown event type did not stop the projection');

CREATE TEMP TABLE before_rebuild AS SELECT * FROM orders.order_summaries;
CALL api.rebuild_projection('order_summaries');
SELECT set_eq('SELECT * FROM orders.order_summaries', 'SELECT * FROM before_rebuild', 'a rebuild gives the same model');
SELECT is((SELECT events_applied::integer FROM data.projection_checkpoints WHERE projection_name = 'order_summaries'), 6,
          'having applied every event once');

SELECT * FROM finish();
ROLLBACK;
