-- pgTAP: api.purge_stream (v3 change stream_purge)
BEGIN;
SELECT plan(10);
SELECT function_privs_are('api', 'purge_stream', ARRAY['text', 'uuid'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'purge_stream', ARRAY['text', 'uuid'], 'eventstore_writer', ARRAY[]::text[]);

CALL api.append_events('D', '018f0000-0000-7000-8000-0000000000d2', 0,
    '[{"event_type": "A", "event_data": {}}, {"event_type": "B", "event_data": {}}]');
SELECT throws_ok($$SELECT api.purge_stream('D', '018f0000-0000-7000-8000-0000000000d2')$$, 'ZE016', NULL,
                 'a stream that is not deleted is not purged');
SELECT throws_ok($$SELECT api.purge_stream('D', '018f0000-0000-7000-8000-0000000000d9')$$, 'ZE004');
SELECT throws_ok($$DELETE FROM data.events WHERE stream_id = '018f0000-0000-7000-8000-0000000000d2'$$, 'ZE008', NULL,
                 'the guard refuses the owner');
SELECT api.delete_stream('D', '018f0000-0000-7000-8000-0000000000d2', NULL);
SELECT is(api.purge_stream('D', '018f0000-0000-7000-8000-0000000000d2'), 3, 'purged: 3 events');
SELECT is_empty($$SELECT FROM data.events WHERE stream_id = '018f0000-0000-7000-8000-0000000000d2'$$, 'gone from the log');
SELECT results_eq($$SELECT kind, stream_type, events_removed FROM data.event_removals$$,
                  $$VALUES ('purge', 'D', 3)$$, 'with its audit row');
SELECT is((SELECT count(*)::integer FROM data.removed_events), 3, 'and where each event was');
SELECT is(api.get_stream_version('D', '018f0000-0000-7000-8000-0000000000d2'), 0, 'its id is free again');
SELECT * FROM finish();
ROLLBACK;
