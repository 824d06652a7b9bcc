-- pgTAP: api.run_projection (v3 change projection_runner)
BEGIN;
SELECT plan(18);
SELECT has_function('private', 'run_projection_batch', ARRAY['text', 'integer']);
SELECT has_function('api', 'run_projection', ARRAY['text', 'integer']);
SELECT has_function('api', 'run_projections', ARRAY['integer']);
SELECT has_function('private', 'projection_worker', ARRAY['numeric']);
SELECT is_definer('api', 'run_projection', ARRAY['text', 'integer']);
SELECT function_privs_are('api', 'run_projection', ARRAY['text', 'integer'], 'eventstore_projector', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'run_projection', ARRAY['text', 'integer'], 'eventstore_writer', ARRAY[]::text[]);

-- A test projection: counts events per type; fails on an event whose data says so.
CREATE TABLE public.tap_counts (event_type text PRIMARY KEY, n integer NOT NULL);
CREATE FUNCTION public.tap_count(in_events data.events[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM unnest(in_events) AS e WHERE e.event_data ? 'boom') THEN
        RAISE EXCEPTION 'boom in the handler' USING ERRCODE = 'P0001';
    END IF;
    INSERT INTO public.tap_counts
    SELECT e.event_type, count(*) FROM unnest(in_events) AS e GROUP BY e.event_type
    ON CONFLICT (event_type) DO UPDATE SET n = tap_counts.n + excluded.n;
END $$;
CREATE FUNCTION public.tap_reset() RETURNS void LANGUAGE sql AS 'DELETE FROM public.tap_counts';
SELECT api.register_projection('tap', 'public.tap_count(data.events[])', 'public.tap_reset()', NULL, ARRAY['Tap']);

-- Events of finished transactions (explicit old xids: visible to the runner now).
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT ('018f0000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, CASE WHEN n = 3 THEN 'Other' ELSE 'Tap' END,
       '018f0000-0000-7000-8000-00000000aaaa', n, CASE WHEN n % 2 = 0 THEN 'Even' ELSE 'Odd' END,
       CASE WHEN n = 6 THEN '{"boom": true}' ELSE '{}' END::jsonb, '3', n
FROM generate_series(1, 7) AS n;

SELECT is(api.run_projection('tap', 2), 2, 'a batch of two');
SELECT results_eq('SELECT event_type, n FROM public.tap_counts ORDER BY 1', $$VALUES ('Even', 1), ('Odd', 1)$$,
                  'applied with its checkpoint');
SELECT is(api.run_projection('tap', 10), 2,
          'the handler fails on event 6: events 4 and 5 (not the Other stream''s 3) are kept');
SELECT results_eq($$SELECT status, failed_event_id, error_message FROM data.projection_checkpoints
                    WHERE projection_name = 'tap'$$,
                  $$VALUES ('failed', '018f0000-0000-7000-8000-000000000006'::uuid, 'P0001: boom in the handler')$$,
                  'failed, on that event, with the message');
SELECT results_eq('SELECT event_type, n FROM public.tap_counts ORDER BY 1', $$VALUES ('Even', 2), ('Odd', 2)$$,
                  'nothing of the failed event');
SELECT is(api.run_projection('tap'), 0, 'a failed projection does not run');
SELECT ok(api.run_projections() >= 0, 'every projection runs');
SELECT is((SELECT events_applied FROM data.projection_checkpoints WHERE projection_name = 'tap'), 4::bigint,
          'but not the failed one');
SELECT is((SELECT last_event_id FROM data.projection_checkpoints WHERE projection_name = 'tap'),
          '018f0000-0000-7000-8000-000000000005'::uuid, 'the checkpoint is the last event applied');
SELECT throws_ok($$SELECT api.run_projection('nope')$$, 'ZE005', 'unknown projection: nope');
SELECT throws_ok($$SELECT api.run_projection('tap', 0)$$, 'ZE003', NULL, 'a batch size of 0');
SELECT * FROM finish();
ROLLBACK;
