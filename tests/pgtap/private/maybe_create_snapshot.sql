-- pgTAP: private.maybe_create_snapshot (v3 change automatic_snapshots)
BEGIN;
SELECT plan(7);
SELECT has_function('private', 'maybe_create_snapshot', ARRAY['data.events[]']);
SELECT has_trigger('data'::name, 'reducers'::name, 'reducers_sync_snapshot_projection'::name);
SELECT is((SELECT stream_types FROM data.projections WHERE projection_name = 'snapshots'), ARRAY['Tally'],
          'projection snapshots follows the stream types with an interval');

CREATE FUNCTION public.tap_count(in_state jsonb, in_event data.events) RETURNS jsonb LANGUAGE sql AS
$$ SELECT jsonb_build_object('n', COALESCE((in_state ->> 'n')::integer, 0) + 1) $$;
SELECT api.register_reducer('Counter', 'public.tap_count(jsonb, data.events)', 1, 5);
SELECT is((SELECT stream_types FROM data.projections WHERE projection_name = 'snapshots'), ARRAY['Counter', 'Tally'],
          'registering a reducer adds its type');

-- 12 events of finished transactions (visible to the runner now).
INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT 'Counter', '018f0000-0000-7000-8000-00000000000a', n, 'Ticked', '{}', '3', n FROM generate_series(1, 12) AS n;
SELECT ok(api.run_projection('snapshots', 7) = 7 AND api.run_projection('snapshots', 7) = 5, 'two batches');
SELECT results_eq($$SELECT version, state, reducer_version FROM data.snapshots WHERE stream_type = 'Counter'$$,
                  $$VALUES (10, '{"n": 10}'::jsonb, 1)$$, 'a snapshot at the last multiple of the interval');
UPDATE data.snapshots SET state = '{"n": 1000}' WHERE stream_type = 'Counter';
SELECT is((SELECT state FROM api.load_aggregate('Counter', '018f0000-0000-7000-8000-00000000000a')), '{"n": 1002}'::jsonb,
          'the loader starts from it');
SELECT * FROM finish();
ROLLBACK;
