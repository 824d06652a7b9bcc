-- pgTAP: change get_all_events
BEGIN;
SELECT plan(9);

SELECT has_function('api', 'get_all_events', ARRAY['uuid', 'integer']);
SELECT is_definer('api', 'get_all_events', ARRAY['uuid', 'integer']);
SELECT volatility_is('api', 'get_all_events', ARRAY['uuid', 'integer'], 'volatile');
SELECT function_privs_are('api', 'get_all_events', ARRAY['uuid', 'integer'], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'get_all_events', ARRAY['uuid', 'integer'], 'public', ARRAY[]::text[]);

-- Events of finished transactions (explicit xids), in the order their transactions ran.
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
VALUES ('018f0000-0000-7000-8000-0000000000a2', 'Order', '018f0000-0000-7000-8000-000000000001', 1, 'OrderCreated', '{}', '3', 1),
       ('018f0000-0000-7000-8000-0000000000a1', 'Order', '018f0000-0000-7000-8000-000000000002', 1, 'OrderCreated', '{}', '4', 2),
       ('018f0000-0000-7000-8000-0000000000a3', 'Order', '018f0000-0000-7000-8000-000000000002', 2, 'ItemAdded', '{}', '4', 3);
-- ... and one of this transaction, which is not over: held back.
CALL api.append_events('Order', gen_random_uuid(), 0, '[{"event_type": "OrderCreated", "event_data": {}}]');

SELECT results_eq($$SELECT id FROM api.get_all_events()$$,
                  ARRAY['018f0000-0000-7000-8000-0000000000a2', '018f0000-0000-7000-8000-0000000000a1',
                        '018f0000-0000-7000-8000-0000000000a3']::uuid[],
                  'committed events in log order, not id order');
SELECT results_eq($$SELECT id FROM api.get_all_events('018f0000-0000-7000-8000-0000000000a2', 1)$$,
                  ARRAY['018f0000-0000-7000-8000-0000000000a1']::uuid[], 'paged by the last id read');
SELECT throws_ok($$SELECT * FROM api.get_all_events(NULL, 0)$$, 'ZE003', 'in_limit must be a positive integer, got 0');
SELECT throws_ok($$SELECT * FROM api.get_all_events('018f0000-0000-7000-8000-0000000000ff')$$, 'ZE004',
                 'no event has id 018f0000-0000-7000-8000-0000000000ff');

SELECT * FROM finish();
ROLLBACK;
