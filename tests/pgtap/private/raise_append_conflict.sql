-- pgTAP: change raise_append_conflict
BEGIN;
SELECT plan(4);

SELECT has_function('private'::name, 'raise_append_conflict'::name, ARRAY['text', 'uuid', 'integer']);
CALL api.append_events('Probe', '018f0000-0000-7000-8000-0000000000a2', 0, '[{"event_type": "Probed", "event_data": {}}]', NULL);
SELECT throws_ok($$SELECT private.raise_append_conflict('Probe', '018f0000-0000-7000-8000-0000000000a2', 5)$$,
                 'ZE001', 'wrong expected version for stream Probe/018f0000-0000-7000-8000-0000000000a2: expected 5, actual 1',
                 'a wrong expected version is ZE001');
SELECT throws_ok($$SELECT private.raise_append_conflict('Probe', '018f0000-0000-7000-8000-0000000000a2', 1)$$,
                 '40001', NULL, 'the right version (the stream is newer than this transaction) is 40001');
SELECT ok(NOT has_function_privilege('eventstore_writer', 'private.raise_append_conflict(text, uuid, integer)', 'EXECUTE'),
          'not for callers');

SELECT * FROM finish();
ROLLBACK;
