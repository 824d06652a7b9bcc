-- pgTAP: change event_removals
BEGIN;
SELECT plan(4);

SELECT has_table('data'::name, 'event_removals'::name);
SELECT has_table('data'::name, 'removed_events'::name);
SELECT table_privs_are('data', 'event_removals', 'eventstore_admin', ARRAY[]::text[], 'read through the api only');
SELECT throws_ok($$INSERT INTO data.event_removals (kind, stream_type, stream_id, removed_by) VALUES ('retention', 'S', gen_random_uuid(), 'x')$$,
                 '23514', NULL, 'a retention names a time, not a stream');

SELECT * FROM finish();
ROLLBACK;
