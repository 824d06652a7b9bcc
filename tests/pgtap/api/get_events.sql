-- pgTAP: change get_events
BEGIN;
SELECT plan(13);

SELECT has_function('api', 'get_events', ARRAY['text', 'uuid', 'integer', 'integer']);
SELECT is_definer('api', 'get_events', ARRAY['text', 'uuid', 'integer', 'integer']);
SELECT volatility_is('api', 'get_events', ARRAY['text', 'uuid', 'integer', 'integer'], 'stable');
SELECT function_privs_are('api', 'get_events', ARRAY['text', 'uuid', 'integer', 'integer'], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'get_events', ARRAY['text', 'uuid', 'integer', 'integer'], 'public', ARRAY[]::text[]);

CALL api.append_events('Order', '018f0000-0000-7000-8000-000000000001', 0,
    '[{"event_type": "OrderCreated", "event_data": {"a": 1}}, {"event_type": "ItemAdded", "event_data": {"b": 2}},
      {"event_type": "OrderSubmitted", "event_data": {}}]');
CALL api.append_events('Order', '018f0000-0000-7000-8000-000000000002', 0,
    '[{"event_type": "OrderCreated", "event_data": {}}]');

SELECT results_eq($$SELECT version, event_type, event_data
                    FROM api.get_events('Order', '018f0000-0000-7000-8000-000000000001')$$,
                  $$VALUES (1, 'OrderCreated', '{"a": 1}'::jsonb), (2, 'ItemAdded', '{"b": 2}'::jsonb),
                           (3, 'OrderSubmitted', '{}'::jsonb)$$, 'the whole stream in version order');
SELECT results_eq($$SELECT version FROM api.get_events('Order', '018f0000-0000-7000-8000-000000000001', 1)$$,
                  ARRAY[2, 3], 'after a version');
SELECT results_eq($$SELECT version FROM api.get_events('Order', '018f0000-0000-7000-8000-000000000001', 0, 2)$$,
                  ARRAY[1, 2], 'up to a version (since v1.4.0)');
SELECT results_eq($$SELECT version FROM api.get_events('Order', '018f0000-0000-7000-8000-000000000001', 1, 2)$$,
                  ARRAY[2], 'a range');
SELECT throws_ok($$SELECT * FROM api.get_events('Order', '018f0000-0000-7000-8000-000000000001', 0, -1)$$,
                 'ZE003', 'in_to_version must be NULL (to the end) or 0 or more, got -1');
SELECT is_empty($$SELECT * FROM api.get_events('Customer', '018f0000-0000-7000-8000-000000000001')$$,
                'the stream type is part of the stream''s identity');
SELECT throws_ok($$SELECT * FROM api.get_events('Order', '018f0000-0000-7000-8000-000000000001', -1)$$,
                 'ZE003', 'in_from_version must be 0 or more, got -1');
SELECT throws_ok($$SELECT * FROM api.get_events('Order', NULL)$$, 'ZE003',
                 'in_stream_type and in_stream_id must not be NULL');

SELECT * FROM finish();
ROLLBACK;
