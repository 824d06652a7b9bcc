-- pgTAP: change append_events_idempotent
BEGIN;
SELECT plan(11);

SELECT has_function('api', 'append_events_idempotent', ARRAY['text', 'uuid', 'integer', 'jsonb', 'uuid', 'integer']);
SELECT is_definer('api', 'append_events_idempotent', ARRAY['text', 'uuid', 'integer', 'jsonb', 'uuid', 'integer']);
SELECT function_privs_are('api', 'append_events_idempotent', ARRAY['text', 'uuid', 'integer', 'jsonb', 'uuid', 'integer'],
                          'eventstore_writer', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'append_events_idempotent', ARRAY['text', 'uuid', 'integer', 'jsonb', 'uuid', 'integer'],
                          'eventstore_reader', ARRAY[]::text[]);

-- The specified call, five arguments.
CALL api.append_events_idempotent('Order', '018f0000-0000-7000-8000-000000000001', 0,
    '[{"event_type": "OrderCreated", "event_data": {}, "metadata": {"user_id": "u1"}}]',
    '018f0000-0000-7000-8000-0000000000e1');

CREATE TEMP TABLE v (call integer, version integer);
DO $$
DECLARE
    l_version integer;
BEGIN
    CALL api.append_events_idempotent('Order', '018f0000-0000-7000-8000-000000000001', 1,
        '[{"event_type": "ItemAdded", "event_data": {}}, {"event_type": "ItemAdded", "event_data": {}}]',
        '018f0000-0000-7000-8000-0000000000e2', l_version);
    INSERT INTO v VALUES (2, l_version);
    CALL api.append_events_idempotent('Order', '018f0000-0000-7000-8000-000000000001', 1,
        '[{"event_type": "ItemAdded", "event_data": {}}, {"event_type": "ItemAdded", "event_data": {}}]',
        '018f0000-0000-7000-8000-0000000000e2', l_version);
    INSERT INTO v VALUES (3, l_version);
END
$$;

SELECT results_eq('SELECT call, version FROM v ORDER BY call', $$VALUES (2, 3), (3, 3)$$,
                  'a retry reports the version of the first call');
SELECT is((SELECT count(*)::integer FROM data.events), 3, 'and appends nothing');
SELECT results_eq($$SELECT metadata FROM data.events ORDER BY version LIMIT 1$$,
                  $$VALUES ('{"user_id": "u1", "idempotency_key": "018f0000-0000-7000-8000-0000000000e1"}'::jsonb)$$,
                  'the key is added to each event''s metadata');
SELECT results_eq($$SELECT idempotency_key::text, first_version, new_version FROM data.idempotency_keys ORDER BY new_version$$,
                  $$VALUES ('018f0000-0000-7000-8000-0000000000e1', 1, 1), ('018f0000-0000-7000-8000-0000000000e2', 2, 3)$$,
                  'keys record the versions they appended');

SELECT throws_ok($$CALL api.append_events_idempotent('Order', '018f0000-0000-7000-8000-000000000009', 0,
                   '[{"event_type": "OrderCreated", "event_data": {}}]', '018f0000-0000-7000-8000-0000000000e1')$$,
                 'ZE007', NULL, 'a key of another stream');
SELECT throws_ok($$CALL api.append_events_idempotent('Order', '018f0000-0000-7000-8000-000000000009', 0,
                   '[{"event_type": "OrderCreated", "event_data": {}}]', NULL)$$,
                 'ZE003', 'in_idempotency_key must not be NULL');
SELECT throws_ok($$CALL api.append_events_idempotent('Order', '018f0000-0000-7000-8000-000000000009', 0,
                   '[{"event_type": "OrderCreated"}]', '018f0000-0000-7000-8000-0000000000e9')$$,
                 'ZE002', NULL, 'a malformed batch, key unused');

SELECT * FROM finish();
ROLLBACK;
