-- pgTAP: change event_tags (the tags of events appended with tags; across connections:
-- tests/test_dcb.py)
BEGIN;
SELECT plan(8);
SELECT has_table('data'::name, 'event_tags'::name);
SELECT col_is_pk('data'::name, 'event_tags'::name, ARRAY['generation', 'transaction_id', 'global_position']::name[], 'keyed by log position');
SELECT is((SELECT a.amname::text FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_am AS a ON a.oid = c.relam
           WHERE c.oid = 'data.event_tags_tags_idx'::regclass), 'gin', 'tags are found by GIN');
SELECT is((SELECT c.reloptions FROM pg_catalog.pg_class AS c WHERE c.oid = 'data.event_tags_tags_idx'::regclass),
          ARRAY['fastupdate=off'], 'no pending list, which every search would read');
SELECT has_index('data', 'event_tags', 'event_tags_type_idx', ARRAY['event_type', 'generation', 'transaction_id', 'global_position']);
SELECT table_privs_are('data', 'event_tags', 'eventstore_admin', ARRAY[]::text[], 'no role reads or writes it but through the api');
SELECT lives_ok($$SELECT api.append_tagged('[{"event_type": "T", "event_data": {}, "tags": ["b", "a"]}]')$$);
SELECT results_eq($$SELECT event_type, tags FROM data.event_tags$$, $$VALUES ('T', ARRAY['b', 'a'])$$,
                  'one row per event, its tags as appended');
SELECT * FROM finish();
ROLLBACK;
