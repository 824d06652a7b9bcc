-- pgTAP: api.register_projection (v3 change projection_admin)
BEGIN;
SELECT plan(26);
SELECT has_function('api', 'register_projection', ARRAY['text', 'regprocedure', 'regprocedure', 'text[]', 'text[]', 'integer']);
SELECT has_function('api', 'pause_projection', ARRAY['text']);
SELECT has_function('api', 'resume_projection', ARRAY['text', 'boolean']);
SELECT has_function('api', 'rebuild_projection', ARRAY['text']);
SELECT has_function('api', 'reset_projection', ARRAY['text']);
SELECT is_definer('api', 'rebuild_projection', ARRAY['text']);
SELECT function_privs_are('api', 'register_projection', ARRAY['text', 'regprocedure', 'regprocedure', 'text[]', 'text[]', 'integer'],
                          'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'register_projection', ARRAY['text', 'regprocedure', 'regprocedure', 'text[]', 'text[]', 'integer'],
                          'eventstore_projector', ARRAY[]::text[]);
SELECT function_privs_are('api', 'rebuild_projection', ARRAY['text'], 'eventstore_projector', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'rebuild_projection', ARRAY['text'], 'eventstore_writer', ARRAY[]::text[]);

CREATE TABLE public.tap_seen (event_id uuid PRIMARY KEY);
CREATE TABLE public.tap_broken (on_type text);
CREATE FUNCTION public.tap_handler(in_events data.events[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM unnest(in_events) AS e JOIN public.tap_broken AS b ON b.on_type = e.event_type) THEN
        RAISE EXCEPTION 'cannot handle this one';
    END IF;
    INSERT INTO public.tap_seen SELECT e.id FROM unnest(in_events) AS e;
END $$;
CREATE FUNCTION public.tap_reset() RETURNS void LANGUAGE sql AS 'DELETE FROM public.tap_seen';
CREATE FUNCTION public.tap_wrong(in_x integer) RETURNS void LANGUAGE sql AS 'SELECT';

SELECT lives_ok($$SELECT api.register_projection('tap', 'public.tap_handler(data.events[])', 'public.tap_reset()',
                  NULL, ARRAY['Tap'], 100)$$, 'register');
SELECT throws_ok($$SELECT api.register_projection('tap2', 'public.tap_wrong(integer)')$$, 'ZE010',
                 'projection handler public.tap_wrong(integer) must be a function taking (data.events[])');
SELECT throws_ok($$SELECT api.register_projection('Tap Two', 'public.tap_handler(data.events[])')$$, 'ZE003', NULL,
                 'a name that is not an identifier');

INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT ('018f0000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, 'Tap', '018f0000-0000-7000-8000-00000000aaaa', n,
       CASE WHEN n = 3 THEN 'Bad' ELSE 'Good' END, '{}', '3', n
FROM generate_series(1, 5) AS n;
INSERT INTO public.tap_broken VALUES ('Bad');

SELECT is(api.run_projection('tap'), 2, 'stops before the bad event');
SELECT throws_ok($$SELECT api.pause_projection('tap')$$, 'ZE011', 'projection tap is failed, not running: nothing to pause');
SELECT lives_ok($$SELECT api.resume_projection('tap')$$, 'resume: retry the failed event');
SELECT is(api.run_projection('tap'), 0, 'which fails again');
SELECT lives_ok($$SELECT api.resume_projection('tap', true)$$, 'resume, skipping it');
SELECT results_eq($$SELECT event_id, error_message FROM data.projection_skips$$,
                  $$VALUES ('018f0000-0000-7000-8000-000000000003'::uuid, 'P0001: cannot handle this one')$$,
                  'the skip is on record');
SELECT is(api.run_projection('tap'), 2, 'and the rest is applied');
SELECT throws_ok($$SELECT api.resume_projection('tap')$$, 'ZE011', NULL, 'a running projection is not resumed');

DELETE FROM public.tap_broken;
CALL api.rebuild_projection('tap');
SELECT is((SELECT count(*)::integer FROM public.tap_seen), 4, 'a rebuild applies every event again but the skipped one');
SELECT throws_ok($$CALL api.rebuild_projection('nope')$$, 'ZE005', 'unknown projection: nope');
SELECT lives_ok($$SELECT api.pause_projection('tap')$$, 'pause');

-- The same event failing again after a skip (it used to, after a rebuild): skipping it again
-- keeps the first record instead of failing with 23505.
UPDATE data.projection_checkpoints
SET status = 'failed', failed_event_id = '018f0000-0000-7000-8000-000000000003', error_message = 'P0001: again'
WHERE projection_name = 'tap';
SELECT lives_ok($$SELECT api.resume_projection('tap', true)$$, 'an event skipped before is skipped again');
SELECT results_eq($$SELECT event_id, error_message FROM data.projection_skips$$,
                  $$VALUES ('018f0000-0000-7000-8000-000000000003'::uuid, 'P0001: cannot handle this one')$$,
                  'the first record of the skip is kept');
SELECT * FROM finish();
ROLLBACK;
