-- pgTAP: api.register_projection_version (v3 change projection_versions; and the versions' functions of change code)
BEGIN;
SELECT plan(52);
-- Shapes
SELECT has_column('data'::name, 'projections'::name, 'version_of'::name, 'the projection a row is a version of');
SELECT col_not_null('data'::name, 'projections'::name, 'version_of'::name, 'version_of is set');
SELECT col_default_is('data'::name, 'projections'::name, 'version'::name, 1, 'a registration is version 1');
SELECT has_column('data'::name, 'projections'::name, 'replay_global_position'::name, 'the replay mark');
SELECT is((SELECT pg_catalog.array_agg(c.confupdtype::text ORDER BY c.conname) FROM pg_catalog.pg_constraint AS c
           WHERE c.conname IN ('projection_checkpoints_projection_name_fkey', 'projection_skips_projection_name_fkey')),
          ARRAY['c', 'c'], 'a checkpoint and its skips follow their version''s name (ON UPDATE CASCADE)');
SELECT has_function('api', 'register_projection_version', ARRAY['text', 'integer', 'regprocedure', 'regprocedure']);
SELECT has_function('api', 'promote_projection', ARRAY['text', 'integer']);
SELECT has_function('api', 'drop_projection_version', ARRAY['text', 'integer']);
SELECT function_returns('api', 'projection_replaying', ARRAY[]::text[], 'boolean');
SELECT function_returns('api', 'projection_live_version', ARRAY['text'], 'integer');
SELECT has_column('api'::name, 'projection_status'::name, 'ready_to_promote'::name, 'status says when to promote');

-- Privileges: only admins change versions; readers read which version is live.
SELECT function_privs_are('api', 'register_projection_version', ARRAY['text', 'integer', 'regprocedure', 'regprocedure'],
                          'eventstore_projector', ARRAY[]::text[]);
SELECT function_privs_are('api', 'register_projection_version', ARRAY['text', 'integer', 'regprocedure', 'regprocedure'],
                          'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'promote_projection', ARRAY['text', 'integer'], 'eventstore_projector', ARRAY[]::text[]);
SELECT function_privs_are('api', 'promote_projection', ARRAY['text', 'integer'], 'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'drop_projection_version', ARRAY['text', 'integer'], 'eventstore_writer', ARRAY[]::text[]);
SELECT function_privs_are('api', 'projection_live_version', ARRAY['text'], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'projection_replaying', ARRAY[]::text[], 'public', ARRAY[]::text[]);

-- A projection with a side effect: v1 and v2 count events per stream in tables of their own
-- and write an outbox row per event unless replaying.
CREATE TABLE public.tap_v1 (stream_id uuid PRIMARY KEY, n integer NOT NULL);
CREATE TABLE public.tap_v2 (stream_id uuid PRIMARY KEY, n integer NOT NULL);
CREATE TABLE public.tap_outbox (event_id uuid NOT NULL, version integer NOT NULL, replaying boolean NOT NULL);
CREATE FUNCTION public.tap_v1(in_events data.events[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO public.tap_v1 SELECT e.stream_id, count(*) FROM unnest(in_events) AS e GROUP BY 1
    ON CONFLICT (stream_id) DO UPDATE SET n = tap_v1.n + excluded.n;
    INSERT INTO public.tap_outbox SELECT e.id, 1, api.projection_replaying() FROM unnest(in_events) AS e;
$$;
CREATE FUNCTION public.tap_v2(in_events data.events[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM unnest(in_events) AS e WHERE e.event_data ? 'boom') THEN
        RAISE EXCEPTION 'v2 cannot take it' USING ERRCODE = 'P0001';
    END IF;
    INSERT INTO public.tap_v2 SELECT e.stream_id, count(*) FROM unnest(in_events) AS e GROUP BY 1
    ON CONFLICT (stream_id) DO UPDATE SET n = tap_v2.n + excluded.n;
    INSERT INTO public.tap_outbox SELECT e.id, 2, api.projection_replaying() FROM unnest(in_events) AS e;
END $$;
CREATE FUNCTION public.tap_takes_text(in_x text) RETURNS void LANGUAGE sql AS '';
SELECT api.register_projection('tapv', 'public.tap_v1(data.events[])', NULL, NULL, ARRAY['TapV'], 3);

-- Events of a finished transaction (an old explicit id: readable now).
INSERT INTO data.events (id, stream_type, stream_id, version, event_type, event_data, transaction_id, global_position)
SELECT ('018f0000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, 'TapV',
       ('018f0000-0000-7000-8000-00000000000' || (n % 2)::text)::uuid, (n + 1) / 2, 'Counted',
       CASE WHEN n = 9 THEN '{"boom": true}' ELSE '{}' END::jsonb, '3', n
FROM generate_series(1, 10) AS n;

-- Bad input
SELECT throws_ok($$SELECT api.register_projection_version('nope', 2, 'public.tap_v2(data.events[])')$$,
                 'ZE005', NULL, 'a version of an unknown projection');
SELECT throws_ok($$SELECT api.register_projection_version('tapv', 0, 'public.tap_v2(data.events[])')$$,
                 'ZE003', NULL, 'version 0');
SELECT throws_ok($$SELECT api.register_projection_version('tapv', 2, 'public.tap_takes_text(text)')$$,
                 'ZE010', NULL, 'a handler of the wrong shape');
SELECT throws_ok($$SELECT api.promote_projection('tapv', 2)$$, 'ZE005', NULL, 'promoting a version not registered');
SELECT throws_ok($$SELECT api.promote_projection('tapv', NULL)$$, 'ZE003', NULL, 'promoting a NULL version');
SELECT throws_ok($$SELECT api.drop_projection_version('tapv', NULL)$$, 'ZE003', NULL, 'dropping a NULL version');
SELECT throws_ok($$SELECT api.projection_live_version('nope')$$, 'ZE005', NULL, 'the live version of no projection');
SELECT is(api.projection_replaying(), false, 'not replaying outside a handler');

SELECT is(api.run_projection('tapv'), 3, 'v1 applies a batch of three');
SELECT api.register_projection_version('tapv', 2, 'public.tap_v2(data.events[])');
SELECT results_eq($$SELECT projection_name, version, live, status FROM api.projection_status
                    WHERE version_of = 'tapv' ORDER BY version$$,
                  $$VALUES ('tapv', 1, true, 'running'), ('tapv@2', 2, false, 'rebuilding')$$,
                  'v2 runs as tapv@2 beside the live v1');
SELECT is(api.projection_live_version('tapv'), 1, 'readers see v1');
SELECT is(api.run_projection('tapv@2', 10), 3, 'v2 goes as far as v1 has acted, no further');
SELECT is((SELECT count(*) FROM public.tap_outbox WHERE version = 2 AND NOT replaying), 0::bigint,
          'v2 replays what v1 acted on: no side effect');
SELECT is(api.run_projection('tapv@2'), 0, 'and waits for v1');

SET LOCAL eventstore.promotion_max_lag = 'lots';
SELECT throws_ok($$SELECT api.promote_projection('tapv', 2)$$, 'ZE003', NULL, 'a bound that is not a count');
SELECT is((SELECT ready_to_promote FROM api.projection_status WHERE projection_name = 'tapv@2'), NULL,
          'the status view still answers: ready unknown');
SET LOCAL eventstore.promotion_max_lag = 0;
SELECT is(api.run_projection('tapv', 4), 4, 'v1 goes on');
SELECT throws_ok($$SELECT api.promote_projection('tapv', 2)$$, 'ZE011', NULL, 'v2 is 4 events behind, the bound 0');
SELECT is((SELECT ready_to_promote FROM api.projection_status WHERE projection_name = 'tapv@2'), false,
          'not ready: status says so');
SET LOCAL eventstore.promotion_max_lag = 10;
SELECT is((SELECT events_behind_live FROM api.projection_status WHERE projection_name = 'tapv@2'), 4::bigint,
          'four events behind the live one');
SELECT lives_ok($$SELECT api.promote_projection('tapv', 2)$$, 'promoted within the bound');
SELECT results_eq($$SELECT projection_name, version, live, status FROM api.projection_status
                    WHERE version_of = 'tapv' ORDER BY version$$,
                  $$VALUES ('tapv@1', 1, false, 'paused'), ('tapv', 2, true, 'running')$$,
                  'v2 holds the name; v1 stopped');
SELECT is(api.projection_live_version('tapv'), 2, 'readers see v2');
SELECT results_eq('SELECT * FROM public.tap_v2 ORDER BY 1', 'SELECT * FROM public.tap_v1 ORDER BY 1',
                  'v2 caught up in the promotion: it holds what v1 held');

SET LOCAL eventstore.projection_replaying = on;  -- nobody can turn the side effects off
SELECT is(api.run_projection('tapv'), 1, 'the live v2 goes on, up to the event it fails on');
SELECT results_eq($$SELECT status, failed_event_id FROM data.projection_checkpoints WHERE projection_name = 'tapv'$$,
                  $$VALUES ('failed', '018f0000-0000-7000-8000-000000000009'::uuid)$$,
                  'it failed on event 9');
RESET eventstore.projection_replaying;
SELECT results_eq($$SELECT version, count(*), count(*) FILTER (WHERE replaying) FROM public.tap_outbox
                    GROUP BY version ORDER BY version$$,
                  $$VALUES (1, 7::bigint, 0::bigint), (2, 8::bigint, 7::bigint)$$,
                  'one side effect per event: v1 for events 1-7, v2 for event 8');

SELECT throws_ok($$SELECT api.drop_projection_version('tapv', 2)$$, 'ZE011', NULL, 'the live version cannot be dropped');
SELECT lives_ok($$SELECT api.promote_projection('tapv', 1)$$,
                 'the paused v1 is promoted back in one call: it catches up with what v2 acted on');
SELECT results_eq($$SELECT projection_name, version, live, status FROM api.projection_status
                    WHERE version_of = 'tapv' ORDER BY version$$,
                  $$VALUES ('tapv', 1, true, 'running'), ('tapv@2', 2, false, 'failed')$$,
                  'v1 holds the name again, running; v2 keeps its failure');
SELECT results_eq($$SELECT count(*), count(*) FILTER (WHERE replaying) FROM public.tap_outbox WHERE version = 1$$,
                  $$VALUES (8::bigint, 1::bigint)$$,
                  'v1 applied event 8 while catching up as a replay (v2 had acted on it): no second side effect');
SELECT lives_ok($$SELECT api.drop_projection_version('tapv', 2)$$, 'v2 dropped');
SELECT results_eq($$SELECT projection_name, version FROM data.projections WHERE version_of = 'tapv'$$,
                  $$VALUES ('tapv', 1)$$, 'v1 is left');
SELECT throws_ok($$SELECT api.drop_projection_version('tapv', 2)$$, 'ZE005', NULL, 'dropped once');
SELECT * FROM finish();
ROLLBACK;
