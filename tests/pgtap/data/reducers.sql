-- pgTAP: change reducers
BEGIN;
SELECT plan(10);

SELECT has_table('data'::name, 'reducers'::name);
SELECT has_function('api', 'register_reducer', ARRAY['text', 'regprocedure', 'integer', 'integer']);
SELECT has_function('private', 'fold_events', ARRAY['regprocedure', 'jsonb', 'data.events[]']);
SELECT function_privs_are('api', 'register_reducer', ARRAY['text', 'regprocedure', 'integer', 'integer'],
                          'eventstore_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'register_reducer', ARRAY['text', 'regprocedure', 'integer', 'integer'],
                          'eventstore_writer', ARRAY[]::text[]);

CREATE FUNCTION public.tap_counter(in_state jsonb, in_event data.events) RETURNS jsonb LANGUAGE sql AS
$$ SELECT jsonb_build_object('n', COALESCE((in_state ->> 'n')::integer, 0) + 1, 'last', in_event.event_type) $$;

SELECT lives_ok($$SELECT api.register_reducer('Counter', 'public.tap_counter(jsonb, data.events)', 1, 10)$$, 'register');
SELECT throws_ok($$SELECT api.register_reducer('Counter', 'pg_catalog.jsonb_concat(jsonb, jsonb)', 1)$$, 'ZE010',
                 'reducer jsonb_concat(jsonb,jsonb) must be a function (jsonb, data.events) returning jsonb');
SELECT throws_ok($$SELECT api.register_reducer('Counter', 'public.tap_counter(jsonb, data.events)', 0)$$, 'ZE003', NULL,
                 'reducer versions start at 1');
SELECT throws_ok($$SELECT private.fold_events('public.tap_counter(jsonb, data.events)', '{}',
              ARRAY[ROW(NULL, 'Counter', NULL, 1, 'A', '{}', '{}', NULL, NULL, NULL, NULL, 1, NULL)::data.events])$$,
                 'ZE010', NULL, 'only an invoker folds: a registered function never runs as the bundle owner');
SELECT is(private.fold_events((SELECT r.reducer_invoker FROM data.reducers AS r WHERE r.stream_type = 'Counter'), '{}',
              ARRAY[ROW(NULL, 'Counter', NULL, 1, 'A', '{}', '{}', NULL, NULL, NULL, NULL, 1, NULL)::data.events,
                    ROW(NULL, 'Counter', NULL, 2, 'B', '{}', '{}', NULL, NULL, NULL, NULL, 1, NULL)::data.events]),
          '{"n": 2, "last": "B"}'::jsonb, 'folds in order');

SELECT * FROM finish();
ROLLBACK;
