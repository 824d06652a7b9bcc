-- pgTAP: orders.upcast_order_created_v1 (v3 change orders:order_created_v2)
BEGIN;
SELECT plan(4);

SELECT has_function('orders', 'upcast_order_created_v1', ARRAY['jsonb']);
SELECT is(private.upcast_event('OrderCreated', '{"customer_id": "c1"}', 1, 2),
          '{"customer_id": "c1", "shipping_address": null}'::jsonb, 'v1 -> v2 adds shipping_address: null');
SELECT is(orders.upcast_order_created_v1('{"shipping_address": {"city": "Oslo"}}'),
          '{"shipping_address": {"city": "Oslo"}}'::jsonb, 'an address already there is kept');

INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, schema_version)
VALUES ('Order', '018f0000-0000-7000-8000-0000000000a1', 1, 'OrderCreated', '{"customer_id": "c1"}', 1);
SELECT is((SELECT event_data FROM api.get_events('Order', '018f0000-0000-7000-8000-0000000000a1')),
          '{"customer_id": "c1", "shipping_address": null}'::jsonb, 'a stored v1 OrderCreated reads as v2');

SELECT * FROM finish();
ROLLBACK;
