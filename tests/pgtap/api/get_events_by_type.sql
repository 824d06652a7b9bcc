-- pgTAP: change get_events_by_type
BEGIN;
SELECT plan(9);

SELECT has_function('api', 'get_events_by_type', ARRAY['text[]', 'uuid', 'integer']);
SELECT is_definer('api', 'get_events_by_type', ARRAY['text[]', 'uuid', 'integer']);
SELECT volatility_is('api', 'get_events_by_type', ARRAY['text[]', 'uuid', 'integer'], 'volatile');
SELECT function_privs_are('api', 'get_events_by_type', ARRAY['text[]', 'uuid', 'integer'], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'get_events_by_type', ARRAY['text[]', 'uuid', 'integer'], 'public', ARRAY[]::text[]);

INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
VALUES ('018f0000-0000-7000-8000-0000000000b1', 'Order', '018f0000-0000-7000-8000-000000000001', 1, 'OrderCreated', '{}', '3', 1),
       ('018f0000-0000-7000-8000-0000000000b2', 'Order', '018f0000-0000-7000-8000-000000000001', 2, 'ItemAdded', '{}', '3', 2),
       ('018f0000-0000-7000-8000-0000000000b3', 'Order', '018f0000-0000-7000-8000-000000000001', 3, 'OrderSubmitted', '{}', '5', 3),
       ('018f0000-0000-7000-8000-0000000000b4', 'Order', '018f0000-0000-7000-8000-000000000002', 1, 'OrderCreated', '{}', '6', 4);

SELECT results_eq($$SELECT id FROM api.get_events_by_type(ARRAY['OrderCreated', 'OrderSubmitted'])$$,
                  ARRAY['018f0000-0000-7000-8000-0000000000b1', '018f0000-0000-7000-8000-0000000000b3',
                        '018f0000-0000-7000-8000-0000000000b4']::uuid[], 'only those types, in log order');
SELECT results_eq($$SELECT id FROM api.get_events_by_type(ARRAY['OrderCreated'], '018f0000-0000-7000-8000-0000000000b2', 5)$$,
                  ARRAY['018f0000-0000-7000-8000-0000000000b4']::uuid[], 'the cursor may be an event of another type');
SELECT throws_ok($$SELECT * FROM api.get_events_by_type('{}')$$, 'ZE003', NULL, 'no types');
SELECT throws_ok($$SELECT * FROM api.get_events_by_type(ARRAY['A', NULL])$$, 'ZE003', NULL, 'a NULL type');

SELECT * FROM finish();
ROLLBACK;
