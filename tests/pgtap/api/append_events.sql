-- pgTAP: change append_events
BEGIN;
SELECT plan(26);

SELECT has_function('api', 'append_events', ARRAY['text', 'uuid', 'integer', 'jsonb', 'integer']);
SELECT is_definer('api', 'append_events', ARRAY['text', 'uuid', 'integer', 'jsonb', 'integer']);
SELECT is((SELECT proconfig FROM pg_proc WHERE oid = 'api.append_events(text, uuid, integer, jsonb, integer)'::regprocedure),
          ARRAY['search_path=pg_catalog, pg_temp'], 'search_path pinned');
SELECT function_privs_are('api', 'append_events', ARRAY['text', 'uuid', 'integer', 'jsonb', 'integer'],
                          'eventstore_writer', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'append_events', ARRAY['text', 'uuid', 'integer', 'jsonb', 'integer'],
                          'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'append_events', ARRAY['text', 'uuid', 'integer', 'jsonb', 'integer'],
                          'eventstore_reader', ARRAY[]::text[]);
SELECT function_privs_are('api', 'append_events', ARRAY['text', 'uuid', 'integer', 'jsonb', 'integer'],
                          'eventstore_projector', ARRAY[]::text[]);
SELECT function_privs_are('api', 'append_events', ARRAY['text', 'uuid', 'integer', 'jsonb', 'integer'],
                          'public', ARRAY[]::text[]);

-- The specification's usage example: a new order, then an item.
CREATE TEMP TABLE v (step text, version integer);
DO $$
DECLARE
    l_version integer;
BEGIN
    CALL api.append_events(
        in_stream_type := 'Order',
        in_stream_id := '018f0000-0000-7000-8000-000000000001',
        in_expected_version := 0,
        in_events := '[{"event_type": "OrderCreated",
                        "event_data": {"customer_id": "018f0000-0000-7000-8000-0000000000c1",
                                       "items": [{"product_id": "prod-1", "quantity": 2}]},
                        "metadata": {"user_id": "u1", "correlation_id": "r1"}}]'::jsonb,
        io_new_version := l_version);
    INSERT INTO v VALUES ('create', l_version);
    CALL api.append_events(
        in_stream_type := 'Order',
        in_stream_id := '018f0000-0000-7000-8000-000000000001',
        in_expected_version := 1,
        in_events := '[{"event_type": "ItemAdded", "event_data": {"product_id": "prod-2", "quantity": 1}}]'::jsonb,
        io_new_version := l_version);
    INSERT INTO v VALUES ('add', l_version);
    CALL api.append_events('Order', '018f0000-0000-7000-8000-000000000001', NULL,
        '[{"event_type": "ItemAdded", "event_data": {}}, {"event_type": "OrderSubmitted", "event_data": {}}]',
        l_version);
    INSERT INTO v VALUES ('any', l_version);
END
$$;

SELECT results_eq('SELECT step, version FROM v ORDER BY version',
                  $$VALUES ('create', 1), ('add', 2), ('any', 4)$$, 'io_new_version after each append');
SELECT results_eq($$SELECT version, event_type, metadata FROM data.events ORDER BY version$$,
                  $$VALUES (1, 'OrderCreated', '{"user_id": "u1", "correlation_id": "r1"}'::jsonb),
                           (2, 'ItemAdded', '{}'::jsonb), (3, 'ItemAdded', '{}'::jsonb),
                           (4, 'OrderSubmitted', '{}'::jsonb)$$,
                  'versions 1..4; metadata as given, {} when absent');
SELECT is((SELECT event_data -> 'items' -> 0 ->> 'product_id' FROM data.events WHERE version = 1), 'prod-1',
          'event_data as given');
SELECT is((SELECT current_version FROM data.event_streams WHERE stream_id = '018f0000-0000-7000-8000-000000000001'),
          4, 'the stream row carries the version');
SELECT is((SELECT count(DISTINCT transaction_id)::integer FROM data.events), 1, 'one transaction id for all');
SELECT ok((SELECT bool_and(transaction_id = pg_current_xact_id()) FROM data.events), 'the appending transaction');

SELECT throws_ok($$CALL api.append_events('Order', '018f0000-0000-7000-8000-000000000001', 2,
                   '[{"event_type": "ItemAdded", "event_data": {}}]')$$, 'ZE001',
                 'wrong expected version for stream Order/018f0000-0000-7000-8000-000000000001: expected 2, actual 4');
SELECT throws_ok($$CALL api.append_events('Order', '018f0000-0000-7000-8000-000000000001', 0,
                   '[{"event_type": "OrderCreated", "event_data": {}}]')$$, 'ZE001', NULL,
                 'expected 0 on an existing stream');
SELECT throws_ok($$CALL api.append_events('Order', gen_random_uuid(), 7,
                   '[{"event_type": "OrderCreated", "event_data": {}}]')$$, 'ZE001', NULL,
                 'expected N on a missing stream');
SELECT throws_ok($$CALL api.append_events('Order', gen_random_uuid(), 0, '{}')$$, 'ZE002',
                 'in_events must be a JSON array of events, got object');
SELECT throws_ok($$CALL api.append_events('Order', gen_random_uuid(), 0, '[]')$$, 'ZE002',
                 'in_events is an empty array: an append needs at least one event');
SELECT throws_ok($$CALL api.append_events('Order', gen_random_uuid(), 0,
                   '[{"event_type": "A", "event_data": {}}, {"event_data": {}}]')$$, 'ZE002',
                 'event 2 of in_events has no non-empty string event_type');
SELECT throws_ok($$CALL api.append_events('Order', gen_random_uuid(), 0,
                   '[{"event_type": "A", "event_data": {}, "metadata": "m"}]')$$, 'ZE002',
                 'event 1 of in_events has a metadata that is not a JSON object');
SELECT throws_ok($$CALL api.append_events('Order', gen_random_uuid(), -1,
                   '[{"event_type": "A", "event_data": {}}]')$$, 'ZE003',
                 'in_expected_version must be NULL (any), 0 (new stream) or a version, got -1');
SELECT throws_ok($$CALL api.append_events('', gen_random_uuid(), 0,
                   '[{"event_type": "A", "event_data": {}}]')$$, 'ZE003',
                 'in_stream_type must be a non-empty text of at most 200 characters, got ''''');
SELECT is((SELECT count(*)::integer FROM data.events), 4, 'failed appends wrote nothing');
SELECT is((SELECT count(*)::integer FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), 0,
          'a transaction that had its xid before appending takes no queueing lock');

-- Within a batch, log order is the batch's order, whatever the plan of the insert (registered
-- personal data and schemas join more tables).
SELECT api.register_personal_data('Noted', '$.who', ARRAY['note']);
CALL api.append_events('Batch', '018f0000-0000-7000-8000-0000000000b7', 0,
    '[{"event_type": "Noted", "event_data": {"who": "w", "note": "1"}}, {"event_type": "Other", "event_data": {}},
      {"event_type": "Noted", "event_data": {"who": "w", "note": "3"}}, {"event_type": "Other", "event_data": {}},
      {"event_type": "Noted", "event_data": {"who": "w", "note": "5"}}]');
SELECT is(ARRAY(SELECT version FROM data.events WHERE stream_type = 'Batch' ORDER BY generation, transaction_id, global_position),
          ARRAY[1, 2, 3, 4, 5], 'a batch takes log positions in its own order');

SELECT * FROM finish();
ROLLBACK;
