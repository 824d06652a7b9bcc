-- pgTAP: private.tag_items (the items of a checked query, read without checking it again)
BEGIN;
SELECT plan(6);

SELECT has_function('private', 'tag_items', ARRAY['jsonb']);
SELECT function_privs_are('private', 'tag_items', ARRAY['jsonb'], 'public', ARRAY[]::text[]);
SELECT is((SELECT p.proconfig FROM pg_catalog.pg_proc AS p WHERE p.oid = 'private.tag_items(jsonb)'::regprocedure), NULL,
          'no SET clause: the planner inlines it');
SELECT results_eq($$SELECT types, tags FROM private.tag_items(NULL)$$, $$VALUES (NULL::text[], '{}'::text[])$$,
                  'NULL is one item that matches every tagged event');
SELECT results_eq($$SELECT types, tags FROM private.tag_items('[]')$$, $$VALUES (NULL::text[], '{}'::text[])$$,
                  '[] too');
SELECT results_eq($$SELECT types, tags FROM private.tag_items('[{"tags": ["b", "a", "b"]}, {"types": ["T", "U"]}, {}]')$$,
                  $$VALUES (NULL::text[], ARRAY['a', 'b']), (ARRAY['T', 'U'], '{}'::text[]), (NULL::text[], '{}'::text[])$$,
                  'one row per item: tags sorted and distinct, types NULL for any');

SELECT * FROM finish();
ROLLBACK;
