-- pgTAP: change code (every function, procedure and view, from sql/<schema>/<name>.sql).
-- The rules every object of the store's code keeps; each object's behaviour is tested in the
-- file of the change that made it.
BEGIN;
SELECT plan(34);

-- SECURITY DEFINER runs as the owner: its search_path is pinned to pg_catalog first.
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
    JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('api', 'private', 'data', 'registered') AND p.prosecdef
      AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
                       OR EXISTS (SELECT FROM pg_catalog.unnest(p.proconfig) AS c
                                  WHERE c LIKE 'search\_path=pg\_catalog,%'), false)
$$, 'every SECURITY DEFINER function pins its search_path, pg_catalog first');

-- Nothing of the store runs for PUBLIC: each role gets what it is granted.
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
    JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('api', 'private', 'data', 'registered')
      AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
$$, 'no function or procedure of the store is executable by PUBLIC');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('api', 'private', 'data') AND c.relkind = 'v'
      AND pg_catalog.has_table_privilege('public', c.oid, 'SELECT')
$$, 'no view of the store is readable by PUBLIC');

-- \df+ and \dv+ explain the API.
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
    JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname = 'api' AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
$$, 'every api function and procedure has a comment');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = 'api' AND c.relkind = 'v' AND pg_catalog.obj_description(c.oid, 'pg_class') IS NULL
$$, 'every api view has a comment');

-- private.readable_after: the gap-free read's one predicate.
SELECT has_function('private', 'readable_after',
                    ARRAY['integer', 'xid8', 'bigint', 'integer', 'xid8', 'bigint', 'integer', 'xid8']);
SELECT volatility_is('private', 'readable_after',
                     ARRAY['integer', 'xid8', 'bigint', 'integer', 'xid8', 'bigint', 'integer', 'xid8'], 'immutable');
SELECT function_privs_are('private', 'readable_after',
                          ARRAY['integer', 'xid8', 'bigint', 'integer', 'xid8', 'bigint', 'integer', 'xid8'],
                          'public', ARRAY[]::text[]);
SELECT ok(private.readable_after(1, '100', 7, 1, '100', 6, 1, '101'), 'after the cursor in its transaction, before the horizon');
SELECT ok(NOT private.readable_after(1, '100', 6, 1, '100', 6, 1, '101'), 'the cursor itself is not after it');
SELECT ok(NOT private.readable_after(1, '101', 8, 1, '100', 6, 1, '101'), 'a transaction at the horizon is held back');
SELECT ok(private.readable_after(2, '5', 1, 1, '100', 6, 2, '6'), 'a later generation sorts after, whatever its ids');
SELECT ok(NOT private.readable_after(2, '5', 1, 1, '100', 6, 1, '200'), 'nothing of a generation past the horizon''s');
-- Inlined (no SET clause, a RETURN body): the planner sees row comparisons it can put on the
-- log order index, not a function call it must evaluate for every event of the log.
CREATE FUNCTION pg_temp.plan_of(in_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    l_plan text := '';
    l_line record;
BEGIN
    FOR l_line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || in_query LOOP
        l_plan := l_plan || l_line."QUERY PLAN" || E'\n';
    END LOOP;
    RETURN l_plan;
END $$;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_sort = off;
SELECT unalike(pg_temp.plan_of($$
    SELECT e.id FROM data.events AS e
    WHERE private.readable_after(e.generation, e.transaction_id, e.global_position, 1, '1', 0, 1, '5')
    ORDER BY e.generation, e.transaction_id, e.global_position LIMIT 10 $$), '%readable_after%',
    'private.readable_after is inlined into the reader''s query');
SELECT alike(pg_temp.plan_of($$
    SELECT e.id FROM data.events AS e
    WHERE private.readable_after(e.generation, e.transaction_id, e.global_position, 1, '1', 0, 1, '5')
    ORDER BY e.generation, e.transaction_id, e.global_position LIMIT 10 $$), '%Index Cond: ((ROW(generation, transaction_id, global_position) > ROW(%',
    'its comparisons are index conditions');
RESET enable_seqscan;
RESET enable_sort;

-- pgcrypto's functions are named with the schema it was created in, found once for all three
SELECT is(private.extension_schema('pgcrypto'),
          (SELECT extnamespace::regnamespace::name FROM pg_catalog.pg_extension WHERE extname = 'pgcrypto'),
          'extension_schema finds pgcrypto');
SELECT ok((SELECT pg_catalog.bool_and(p.prosrc LIKE '%' || private.extension_schema('pgcrypto') || '.%')
           FROM pg_catalog.pg_proc AS p
           WHERE p.oid IN ('private.seal_value(jsonb, bytea)'::regprocedure, 'private.open_value(text, bytea)'::regprocedure,
                           'private.new_subject_key()'::regprocedure)),
          'seal_value, open_value and new_subject_key call pgcrypto by its schema');

-- api.uuidv7: the store's time-ordered ids, for applications (the Order example uses it)
SELECT is(pg_catalog.substr(api.uuidv7()::text, 15, 1), '7', 'api.uuidv7 gives a version-7 UUID');
SELECT function_privs_are('api', 'uuidv7', ARRAY[]::text[], 'eventstore_reader', ARRAY['EXECUTE'],
                          'readers (and so writers) may make ids');

-- Log numbers (private.log_number): appended with api.append_versioned, read with api.read_log.
SELECT function_privs_are('api', 'append_versioned', ARRAY['text', 'jsonb', 'boolean'], 'eventstore_writer', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'append_versioned', ARRAY['text', 'jsonb', 'boolean'], 'eventstore_reader', ARRAY[]::text[]);
SELECT function_privs_are('api', 'read_log', ARRAY['numeric', 'integer', 'text[]', 'text[]', 'numeric'], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('api', 'read_versioned', ARRAY['text', 'uuid', 'integer', 'integer', 'boolean', 'integer', 'boolean'], 'eventstore_reader', ARRAY['EXECUTE']);
CREATE TEMP TABLE tap_numbers AS
SELECT api.append_versioned('TapApp', '[{"stream_id": "018f0000-0000-7000-8000-0000000000a1", "events": [{"event_type": "A", "event_data": {}, "metadata": {"originator_version": 1}}]},
                                        {"stream_id": "018f0000-0000-7000-8000-0000000000a2", "events": [{"event_type": "B", "event_data": {}, "metadata": {"originator_version": 0}}]},
                                        {"stream_id": "018f0000-0000-7000-8000-0000000000a1", "events": [{"event_type": "C", "event_data": {}, "metadata": {"originator_version": 2}}]}]') AS n;
SELECT is((SELECT n[2] - n[1] FROM tap_numbers) + (SELECT n[3] - n[2] FROM tap_numbers), 2::numeric,
          'one transaction''s events: one number after the other, in the order given');
SELECT is((SELECT pg_catalog.array_agg(p.transaction_id = pg_catalog.pg_current_xact_id())::text
           FROM tap_numbers, pg_catalog.unnest(n) AS x(v), private.log_number_position(x.v) AS p), '{t,t,t}',
          'a number names its transaction');
SELECT is((SELECT pg_catalog.array_agg(private.log_number(e.generation, e.transaction_id, e.global_position, e.created_at)
                                       ORDER BY e.global_position)
           FROM data.events AS e WHERE e.stream_type = 'TapApp'), (SELECT n FROM tap_numbers),
          'the numbers returned are the events'' log numbers');
SELECT results_eq($$SELECT version, event_type FROM api.read_versioned('TapApp', '018f0000-0000-7000-8000-0000000000a1', 1)$$,
                  $$VALUES (2, 'C')$$, 'read by its own versions');
SELECT throws_ok($$SELECT api.append_versioned('TapApp', '[{"stream_id": "018f0000-0000-7000-8000-0000000000a1", "events": [{"event_type": "D", "event_data": {}, "metadata": {"originator_version": 2}}]}]')$$,
                 'ZE001', NULL, 'a version taken');
SELECT throws_ok($$SELECT api.append_versioned('TapApp', '[{"stream_id": "018f0000-0000-7000-8000-0000000000a1", "events": [{"event_type": "D", "event_data": {}, "metadata": {"originator_version": 4}}]}]')$$,
                 'ZE003', NULL, 'a gap, unless asked for');
SELECT lives_ok($$SELECT api.append_versioned('TapApp.snapshots', '[{"stream_id": "018f0000-0000-7000-8000-0000000000a1", "events": [{"event_type": "S", "event_data": {}, "metadata": {"originator_version": 4}}, {"event_type": "S", "event_data": {}, "metadata": {"originator_version": 9}}]}]', true)$$,
                'gaps when asked for (snapshots)');
SELECT results_eq($$SELECT version FROM api.read_versioned('TapApp.snapshots', '018f0000-0000-7000-8000-0000000000a1', NULL, 8, true, 1, true)$$,
                  $$VALUES (4)$$, 'the last one up to a version');
SELECT throws_ok($$SELECT api.append_versioned('TapApp', '[{"stream_id": "nope", "events": [{"event_type": "E", "event_data": {}, "metadata": {"originator_version": 1}}]}]')$$, 'ZE002');
SELECT throws_ok($$SELECT * FROM api.read_log(-1)$$, 'ZE003', NULL, 'a log number is not negative');

-- the status views read the horizon and its holder through one function. Last: reading the
-- horizon publishes it, and this transaction (which wrote before it appended: pgTAP's tables)
-- would then be refused its append with 40001 whenever a transaction of another database had
-- ended after its id was assigned.
SELECT results_eq($$SELECT count(*)::integer FROM private.status_horizon()$$, $$VALUES (1)$$,
                  'status_horizon: one row, the horizon');

SELECT * FROM finish();
ROLLBACK;
