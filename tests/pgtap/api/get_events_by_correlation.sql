-- pgTAP: api.get_events_by_correlation (v3 change event_correlation; forensic reads by correlation and causation)
BEGIN;
SELECT plan(12);
SELECT has_index('data', 'events', 'events_correlation_idx', 'the correlation index');
SELECT has_index('data', 'events', 'events_causation_idx', 'the causation index');
SELECT function_privs_are('api', 'get_events_by_correlation', ARRAY['text'], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'get_causation_chain', ARRAY['uuid'], 'public', ARRAY[]::text[]);

-- A business transaction over two streams: a1 caused b1, b1 caused a2 and b2; c1 is unrelated;
-- d1 and d2 name each other (a cycle); e1 names something that is not an id.
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, metadata, transaction_id, global_position)
VALUES ('018f0000-0000-7000-8000-0000000000a1', 'A', '018f0000-0000-7000-8000-00000000000a', 1, 'Placed', '{}',
        '{"correlation_id": "tx-1"}', '3', 1),
       ('018f0000-0000-7000-8000-0000000000b1', 'B', '018f0000-0000-7000-8000-00000000000b', 1, 'Reserved', '{}',
        '{"correlation_id": "tx-1", "causation_id": "018f0000-0000-7000-8000-0000000000a1"}', '3', 2),
       ('018f0000-0000-7000-8000-0000000000c1', 'C', '018f0000-0000-7000-8000-00000000000c', 1, 'Other', '{}',
        '{"correlation_id": "tx-2"}', '3', 3),
       ('018f0000-0000-7000-8000-0000000000a2', 'A', '018f0000-0000-7000-8000-00000000000a', 2, 'Confirmed', '{}',
        '{"correlation_id": "tx-1", "causation_id": "018f0000-0000-7000-8000-0000000000b1"}', '3', 4),
       ('018f0000-0000-7000-8000-0000000000b2', 'B', '018f0000-0000-7000-8000-00000000000b', 2, 'Shipped', '{}',
        '{"correlation_id": "tx-1", "causation_id": "018f0000-0000-7000-8000-0000000000b1"}', '3', 5),
       ('018f0000-0000-7000-8000-0000000000d1', 'D', '018f0000-0000-7000-8000-00000000000d', 1, 'Ping', '{}',
        '{"causation_id": "018f0000-0000-7000-8000-0000000000d2"}', '3', 6),
       ('018f0000-0000-7000-8000-0000000000d2', 'D', '018f0000-0000-7000-8000-00000000000d', 2, 'Pong', '{}',
        '{"causation_id": "018f0000-0000-7000-8000-0000000000d1"}', '3', 7),
       ('018f0000-0000-7000-8000-0000000000e1', 'E', '018f0000-0000-7000-8000-00000000000e', 1, 'Odd', '{}',
        '{"causation_id": "not-an-id"}', '3', 8);

SELECT results_eq($$SELECT event_type FROM api.get_events_by_correlation('tx-1')$$,
                  ARRAY['Placed', 'Reserved', 'Confirmed', 'Shipped'], 'a business transaction across streams, in log order');
SELECT is_empty($$SELECT * FROM api.get_events_by_correlation('tx-3')$$, 'an unknown correlation: nothing');
SELECT results_eq($$SELECT event_type FROM api.get_causation_chain('018f0000-0000-7000-8000-0000000000b1')$$,
                  ARRAY['Placed', 'Reserved', 'Confirmed', 'Shipped'], 'what caused it and what it caused');
SELECT results_eq($$SELECT event_type FROM api.get_causation_chain('018f0000-0000-7000-8000-0000000000a2')$$,
                  ARRAY['Placed', 'Reserved', 'Confirmed'], 'up the chain, and nothing below');
SELECT results_eq($$SELECT event_type FROM api.get_causation_chain('018f0000-0000-7000-8000-0000000000d1')$$,
                  ARRAY['Ping', 'Pong'], 'a cycle ends');
SELECT results_eq($$SELECT event_type FROM api.get_causation_chain('018f0000-0000-7000-8000-0000000000e1')$$,
                  ARRAY['Odd'], 'a causation id that is not an id names nothing');
SELECT throws_ok($$SELECT * FROM api.get_causation_chain('018f0000-0000-7000-8000-0000000000ff')$$, 'ZE004',
                 'no event has id 018f0000-0000-7000-8000-0000000000ff');
SELECT throws_ok($$SELECT * FROM api.get_events_by_correlation('')$$, 'ZE003', 'in_correlation_id must be a non-empty text');
SELECT * FROM finish();
ROLLBACK;
