-- pgTAP: api.delete_stream (v3 change stream_deletion)
BEGIN;
SELECT plan(13);
SELECT has_column('data'::name, 'event_streams'::name, 'deleted_at'::name, 'data.event_streams.deleted_at');
SELECT function_privs_are('api', 'delete_stream', ARRAY['text', 'uuid', 'integer'], 'eventstore_writer', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'delete_stream', ARRAY['text', 'uuid', 'integer'], 'eventstore_reader', ARRAY[]::text[]);

CALL api.append_events('D', '018f0000-0000-7000-8000-0000000000d1', 0,
    '[{"event_type": "A", "event_data": {}}, {"event_type": "B", "event_data": {}}]');
SELECT throws_ok($$SELECT api.delete_stream('D', '018f0000-0000-7000-8000-0000000000d1', 1)$$, 'ZE001', NULL,
                 'a wrong expected version is ZE001');
SELECT throws_ok($$SELECT api.delete_stream('D', '018f0000-0000-7000-8000-0000000000d9', NULL)$$, 'ZE004', NULL,
                 'no such stream: ZE004');
SELECT throws_ok($$SELECT api.delete_stream(NULL, '018f0000-0000-7000-8000-0000000000d1', NULL)$$, 'ZE003');
SELECT is(api.delete_stream('D', '018f0000-0000-7000-8000-0000000000d1', 2), 3, 'the tombstone is version 3');
SELECT results_eq($$SELECT event_type FROM data.events WHERE stream_id = '018f0000-0000-7000-8000-0000000000d1' ORDER BY version$$,
                  ARRAY['A', 'B', '$StreamDeleted'], 'the log keeps the events and the tombstone');
SELECT is_empty($$SELECT * FROM api.get_events('D', '018f0000-0000-7000-8000-0000000000d1')$$, 'stream reads: no events');
SELECT is(api.get_stream_version('D', '018f0000-0000-7000-8000-0000000000d1'), 3, 'the version is the tombstone''s');
SELECT throws_ok($$CALL api.append_events('D', '018f0000-0000-7000-8000-0000000000d1', 3, '[{"event_type": "C", "event_data": {}}]')$$,
                 'ZE015', NULL, 'an append to it is ZE015');
SELECT throws_ok($$CALL api.append_events('D', '018f0000-0000-7000-8000-0000000000d1', 0, '[{"event_type": "C", "event_data": {}}]')$$,
                 'ZE015', NULL, 'whatever the expected version');
SELECT throws_ok($$SELECT api.delete_stream('D', '018f0000-0000-7000-8000-0000000000d1', NULL)$$, 'ZE015', NULL,
                 'deleting it again is ZE015');
SELECT * FROM finish();
ROLLBACK;
