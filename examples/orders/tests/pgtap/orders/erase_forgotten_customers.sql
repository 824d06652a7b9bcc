-- pgTAP: orders.erase_forgotten_customers (v3 change orders:customer_erasure)
BEGIN;
SELECT plan(5);

SELECT is((SELECT fields FROM data.personal_data WHERE event_type = 'OrderCreated'), ARRAY['shipping_address'],
          'OrderCreated''s shipping address is personal data of its customer');
CALL orders.create_customer('Ann', 'ann@example.com', '018f0000-0000-7000-8000-0000000000c1');
CALL api.append_events('Order', '018f0000-0000-7000-8000-0000000000d1', 0,
    '[{"event_type": "OrderCreated", "event_data": {"customer_id": "018f0000-0000-7000-8000-0000000000c1", "items": [],
       "shipping_address": "1 Main St"}}]');
SELECT is((SELECT event_data ->> 'shipping_address' FROM api.get_events('Order', '018f0000-0000-7000-8000-0000000000d1')),
          '1 Main St', 'readers see the address');
SELECT ok(api.forget_subject('018f0000-0000-7000-8000-0000000000c1'), 'the customer is forgotten');
SELECT is((SELECT event_data -> 'shipping_address' FROM api.get_events('Order', '018f0000-0000-7000-8000-0000000000d1')),
          'null'::jsonb, 'the address reads as null');
-- What the projection's handler does with the $SubjectForgotten event.
SELECT orders.erase_forgotten_customers(ARRAY(SELECT e FROM data.events AS e WHERE e.event_type = '$SubjectForgotten'));
SELECT results_eq($$SELECT name, email FROM orders.customers WHERE id = '018f0000-0000-7000-8000-0000000000c1'$$,
                  $$VALUES ('forgotten', NULL::text)$$, 'the read model''s copy is erased');

SELECT * FROM finish();
ROLLBACK;
