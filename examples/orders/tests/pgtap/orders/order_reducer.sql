-- pgTAP: orders.order_reducer (v3 change orders:order_aggregate)
BEGIN;
SELECT plan(5);

SELECT has_function('orders', 'order_reducer', ARRAY['jsonb', 'data.events']);
SELECT volatility_is('orders', 'order_reducer', ARRAY['jsonb', 'data.events'], 'immutable');
SELECT results_eq($$SELECT reducer::text, reducer_version, snapshot_interval FROM data.reducers WHERE stream_type = 'Order'$$,
                  $$VALUES ('orders.order_reducer(jsonb,data.events)', 1, 100)$$, 'registered for Order');

CALL api.append_events('Order', '018f0000-0000-7000-8000-0000000000a1', 0,
    '[{"event_type": "OrderCreated", "event_data": {"customer_id": "c1", "items": [{"product_id": "p1", "quantity": 2, "price": 10}]}},
      {"event_type": "ItemAdded", "event_data": {"product_id": "p2", "quantity": 1, "price": 5}},
      {"event_type": "SomethingNew", "event_data": {}},
      {"event_type": "OrderCancelled", "event_data": {"reason": "changed my mind"}}]');
SELECT results_eq($$SELECT state - 'created_at' - 'items', version FROM api.load_aggregate('Order', '018f0000-0000-7000-8000-0000000000a1')$$,
                  $$VALUES ('{"order_id": "018f0000-0000-7000-8000-0000000000a1", "customer_id": "c1", "status": "cancelled",
                              "cancel_reason": "changed my mind", "total_items": 3, "total_amount": 25}'::jsonb, 4)$$,
                  'the Order state, an unknown event type ignored');
SELECT is((SELECT jsonb_array_length(state -> 'items') FROM api.load_aggregate('Order', '018f0000-0000-7000-8000-0000000000a1')),
          2, 'with its items');

SELECT * FROM finish();
ROLLBACK;
