-- pgTAP: change get_stream_version
BEGIN;
SELECT plan(6);

SELECT has_function('api', 'get_stream_version', ARRAY['text', 'uuid']);
SELECT is_definer('api', 'get_stream_version', ARRAY['text', 'uuid']);
SELECT function_privs_are('api', 'get_stream_version', ARRAY['text', 'uuid'], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'get_stream_version', ARRAY['text', 'uuid'], 'public', ARRAY[]::text[]);

CALL api.append_events('Order', '018f0000-0000-7000-8000-000000000001', 0,
    '[{"event_type": "OrderCreated", "event_data": {}}, {"event_type": "ItemAdded", "event_data": {}}]');
SELECT is(api.get_stream_version('Order', '018f0000-0000-7000-8000-000000000001'), 2, 'the current version');
SELECT is(api.get_stream_version('Order', '018f0000-0000-7000-8000-000000000002'), 0, '0 for no stream');

SELECT * FROM finish();
ROLLBACK;
