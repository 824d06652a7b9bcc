-- pgTAP: change snapshots
BEGIN;
SELECT plan(22);

SELECT has_table('data'::name, 'snapshots'::name);
SELECT col_is_pk('data'::name, 'snapshots'::name, ARRAY['stream_type', 'stream_id']::name[], 'primary key of data.snapshots');
SELECT has_index('data', 'snapshots', 'snapshots_version_idx', ARRAY['stream_type', 'stream_id', 'version']);
SELECT has_function('private', 'save_snapshot', ARRAY['text', 'uuid', 'integer', 'jsonb', 'pg_snapshot']);
SELECT has_function('api', 'get_aggregate_state', ARRAY['text', 'uuid']);
SELECT has_function('api', 'load_aggregate', ARRAY['text', 'uuid', 'integer', 'timestamptz']);
SELECT function_privs_are('api', 'get_aggregate_state', ARRAY['text', 'uuid'], 'eventstore_reader', ARRAY['EXECUTE']);

CREATE FUNCTION public.tap_sum(in_state jsonb, in_event data.events) RETURNS jsonb LANGUAGE sql AS
$$ SELECT jsonb_build_object('sum', COALESCE((in_state ->> 'sum')::integer, 0) + (in_event.event_data ->> 'n')::integer) $$;
SELECT api.register_reducer('Sum', 'public.tap_sum(jsonb, data.events)', 1, 3);
CALL api.append_events('Sum', '018f0000-0000-7000-8000-00000000000a', 0,
    '[{"event_type": "Added", "event_data": {"n": 1}}, {"event_type": "Added", "event_data": {"n": 2}}]');

-- The specified shape, without a snapshot: state {}, version 0, every event pending.
SELECT results_eq($$SELECT state, version, pending_events FROM api.get_aggregate_state('Sum', '018f0000-0000-7000-8000-00000000000a')$$,
                  $$VALUES ('{}'::jsonb, 0, '[{"version": 1, "event_type": "Added", "event_data": {"n": 1}},
                                             {"version": 2, "event_type": "Added", "event_data": {"n": 2}}]'::jsonb)$$,
                  'no snapshot: everything pending');
CALL private.save_snapshot('Sum', '018f0000-0000-7000-8000-00000000000a', 1, '{"sum": 1}', pg_current_snapshot());
SELECT results_eq($$SELECT state, version, pending_events FROM api.get_aggregate_state('Sum', '018f0000-0000-7000-8000-00000000000a')$$,
                  $$VALUES ('{"sum": 1}'::jsonb, 1, '[{"version": 2, "event_type": "Added", "event_data": {"n": 2}}]'::jsonb)$$,
                  'snapshot + the events after it');
SELECT results_eq($$SELECT state, version FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a')$$,
                  $$VALUES ('{"sum": 3}'::jsonb, 2)$$, 'the loader folds from the snapshot');

-- A new reducer version: the old snapshot is ignored (the stale state would be wrong).
UPDATE data.snapshots SET state = '{"sum": 100}';
SELECT api.register_reducer('Sum', 'public.tap_sum(jsonb, data.events)', 2, 3);
SELECT results_eq($$SELECT state, version FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a')$$,
                  $$VALUES ('{"sum": 3}'::jsonb, 2)$$, 'a snapshot of another reducer version is ignored');
SELECT is((SELECT version FROM api.get_aggregate_state('Sum', '018f0000-0000-7000-8000-00000000000a')), 0,
          'by get_aggregate_state too');

CALL api.append_events('Sum', '018f0000-0000-7000-8000-00000000000a', 2, '[{"event_type": "Added", "event_data": {"n": 4}}]');
SELECT results_eq($$SELECT state, version FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a')$$,
                  $$VALUES ('{"sum": 7}'::jsonb, 3)$$, 'folding three events (the interval) ...');
SELECT results_eq($$SELECT version, state, reducer_version FROM data.snapshots$$,
                  $$VALUES (3, '{"sum": 7}'::jsonb, 2)$$, '... leaves a current snapshot behind');

-- Time travel (since v1.4.0).
CALL api.append_events('Sum', '018f0000-0000-7000-8000-00000000000a', 3, '[{"event_type": "Added", "event_data": {"n": 8}}]');
SELECT results_eq($$SELECT state, version FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a', 2)$$,
                  $$VALUES ('{"sum": 3}'::jsonb, 2)$$, 'as of version 2: the snapshot at 3 is not used');
SELECT results_eq($$SELECT state, version FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a', 3)$$,
                  $$VALUES ('{"sum": 7}'::jsonb, 3)$$, 'as of version 3');
SELECT results_eq($$SELECT state, version FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a', 99)$$,
                  $$VALUES ('{"sum": 15}'::jsonb, 4)$$, 'past the last version: the current state');
SELECT results_eq($$SELECT state, version FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a',
                                                                   in_as_of := now() - interval '1 second')$$,
                  $$VALUES ('{}'::jsonb, 0)$$, 'as of a time before the first append');
SELECT results_eq($$SELECT state, version FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a', 2, now())$$,
                  $$VALUES ('{"sum": 3}'::jsonb, 2)$$, 'both: the earlier');
SELECT results_eq($$SELECT version FROM data.snapshots$$, ARRAY[3], 'a load of the past saves no snapshot');
SELECT throws_ok($$SELECT * FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a', -1)$$, 'ZE003',
                 'in_as_of_version must be NULL (now) or 0 or more, got -1');
SELECT throws_ok($$SELECT * FROM api.load_aggregate('Sum', '018f0000-0000-7000-8000-00000000000a', NULL, 'infinity')$$,
                 'ZE003', NULL, 'an infinite time');

SELECT * FROM finish();
ROLLBACK;
