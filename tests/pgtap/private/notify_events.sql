-- pgTAP: private.notify_events (v3 change event_notifications)
-- (Delivery to a listening connection is tested across connections in tests/test_notify.py.)
BEGIN;
SELECT plan(4);
SELECT has_function('private', 'notify_events', ARRAY['data.events[]']);
SELECT is((SELECT status FROM data.projection_checkpoints WHERE projection_name = 'notifications'), 'running',
          'projection notifications runs');
SELECT is((SELECT event_types IS NULL AND stream_types IS NULL FROM data.projections WHERE projection_name = 'notifications'),
          true, 'it follows every event');
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT 'Order', '018f0000-0000-7000-8000-00000000000a', n, 'ItemAdded', '{}', '3', n FROM generate_series(1, 3) AS n;
SELECT is(api.run_projection('notifications'), 3, 'the runner notifies them');
SELECT * FROM finish();
ROLLBACK;
