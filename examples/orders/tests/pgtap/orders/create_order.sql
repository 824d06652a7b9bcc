-- pgTAP: orders.create_order (v3 change orders:order_commands)
BEGIN;
SELECT plan(22);

SELECT has_function('orders', 'create_order', ARRAY['uuid', 'jsonb', 'uuid']);
SELECT has_function('orders', 'add_order_item', ARRAY['uuid', 'text', 'integer', 'numeric', 'integer']);
SELECT has_function('orders', 'submit_order', ARRAY['uuid', 'integer']);
SELECT has_function('orders', 'cancel_order', ARRAY['uuid', 'text', 'integer']);
SELECT is_definer('orders', 'create_order', ARRAY['uuid', 'jsonb', 'uuid']);
SELECT function_privs_are('orders', 'create_order', ARRAY['uuid', 'jsonb', 'uuid'], 'eventstore_writer', ARRAY['EXECUTE']);
SELECT function_privs_are('orders', 'create_order', ARRAY['uuid', 'jsonb', 'uuid'], 'eventstore_reader', ARRAY[]::text[]);
SELECT function_privs_are('orders', 'cancel_order', ARRAY['uuid', 'text', 'integer'], 'eventstore_projector', ARRAY[]::text[]);

CALL orders.create_customer('Ann', NULL, '018f0000-0000-7000-8000-0000000000c1');
CALL orders.create_order('018f0000-0000-7000-8000-0000000000c1', '[]', '018f0000-0000-7000-8000-0000000000a1');
CALL orders.create_order('018f0000-0000-7000-8000-0000000000c1',
    '[{"product_id": "p1", "quantity": 2, "price": 10}]', '018f0000-0000-7000-8000-0000000000a2');

SELECT results_eq($$SELECT event_type, event_data, metadata ->> 'source' FROM data.events
                    WHERE stream_id = '018f0000-0000-7000-8000-0000000000a2'$$,
                  $$VALUES ('OrderCreated', '{"customer_id": "018f0000-0000-7000-8000-0000000000c1",
                            "items": [{"product_id": "p1", "quantity": 2, "price": 10}], "total": 20,
                            "shipping_address": null}'::jsonb, 'orders.create_order')$$,
                  'OrderCreated (version 2) with its total, and the command in metadata');
SELECT throws_ok($$CALL orders.create_order('018f0000-0000-7000-8000-0000000000ff', '[]')$$, 'ZE004',
                 'Customer not found: 018f0000-0000-7000-8000-0000000000ff');
SELECT throws_ok($$CALL orders.create_order('018f0000-0000-7000-8000-0000000000c1', '[{"product_id": "p1", "quantity": 0, "price": 1}]')$$,
                 'ZE003', 'item 1 has quantity 0: it must be a whole number from 1 to 1000000');
SELECT throws_ok($$CALL orders.create_order('018f0000-0000-7000-8000-0000000000c1', '[]', '018f0000-0000-7000-8000-0000000000a1')$$,
                 'ZE009', 'order 018f0000-0000-7000-8000-0000000000a1 exists');
SELECT throws_ok($$CALL orders.submit_order('018f0000-0000-7000-8000-0000000000a1')$$, 'ZE009',
                 'order 018f0000-0000-7000-8000-0000000000a1 has no items: an empty order cannot be submitted');
SELECT throws_ok($$CALL orders.add_order_item('018f0000-0000-7000-8000-0000000000a1', 'p1', 1, -2)$$, 'ZE003',
                 'the item has price -2: it must be a number from 0 to 1000000000');
SELECT throws_ok($$CALL orders.add_order_item('018f0000-0000-7000-8000-0000000000ee', 'p1', 1, 2)$$, 'ZE004',
                 'Order not found: 018f0000-0000-7000-8000-0000000000ee');

CALL orders.add_order_item('018f0000-0000-7000-8000-0000000000a1', 'p9', 1, 2.5);
CALL orders.submit_order('018f0000-0000-7000-8000-0000000000a1');
SELECT is(api.get_stream_version('Order', '018f0000-0000-7000-8000-0000000000a1'), 3, 'item added, submitted');
SELECT throws_ok($$CALL orders.add_order_item('018f0000-0000-7000-8000-0000000000a1', 'p1', 1, 2)$$, 'ZE009',
                 'order 018f0000-0000-7000-8000-0000000000a1 is submitted: items can only be added to an open order');
SELECT throws_ok($$CALL orders.submit_order('018f0000-0000-7000-8000-0000000000a1')$$, 'ZE009',
                 'order 018f0000-0000-7000-8000-0000000000a1 is submitted: only an open order can be submitted');
SELECT lives_ok($$CALL orders.cancel_order('018f0000-0000-7000-8000-0000000000a1', 'too late')$$, 'a submitted order can be cancelled');
SELECT throws_ok($$CALL orders.cancel_order('018f0000-0000-7000-8000-0000000000a1')$$, 'ZE009',
                 'order 018f0000-0000-7000-8000-0000000000a1 is already cancelled');
SELECT throws_ok($$CALL orders.add_order_item('018f0000-0000-7000-8000-0000000000a1', 'p1', 1, 2)$$, 'ZE009', NULL,
                 'no items added to a cancelled order');
SELECT is((SELECT event_data FROM data.events WHERE stream_id = '018f0000-0000-7000-8000-0000000000a1' AND version = 4),
          '{"reason": "too late"}'::jsonb, 'OrderCancelled carries the reason');

SELECT * FROM finish();
ROLLBACK;
