-- pgTAP: change check_event_batch
BEGIN;
SELECT plan(5);

SELECT has_function('private'::name, 'check_event_batch'::name, ARRAY['jsonb']);
SELECT is(private.check_event_batch('[{"event_type": "A", "event_data": {}}, {"event_type": "B", "event_data": {}, "metadata": {}}]'),
          2, 'a valid batch: its size');
SELECT throws_ok($$SELECT private.check_event_batch('[]')$$, 'ZE002', NULL, 'an empty batch is ZE002');
SELECT throws_ok($$SELECT private.check_event_batch('[{"event_type": "A", "event_data": {}}, {"event_data": {}}]')$$,
                 'ZE002', NULL, 'an event without event_type is ZE002');
SELECT ok(NOT has_function_privilege('eventstore_writer', 'private.check_event_batch(jsonb)', 'EXECUTE'),
          'writers reach it only through api.append_events');

SELECT * FROM finish();
ROLLBACK;
