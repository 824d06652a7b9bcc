-- pgTAP: change baseline_wiring (what of the state calls the code)
BEGIN;
SELECT plan(15);
SELECT col_default_is('data', 'events', 'id', 'private.uuidv7()', 'an event''s id: a UUIDv7');
SELECT col_default_is('data', 'events', 'generation', 'private.writer_generation()', 'an event''s generation');
SELECT col_default_is('data', 'subject_keys', 'key_id', 'private.uuidv7()', 'a subject key''s id');

SELECT trigger_is('data', 'events', 'events_refuse_update_delete', 'private', 'refuse_event_change');
SELECT trigger_is('data', 'events', 'events_refuse_truncate', 'private', 'refuse_event_change');
SELECT trigger_is('data', 'events_default', 'events_refuse_truncate', 'private', 'refuse_event_change');
SELECT trigger_is('data', 'event_removals', 'event_removals_stamp', 'private', 'stamp_event_removal');
SELECT trigger_is('data', 'event_streams', 'event_streams_refuse_deleted', 'private', 'refuse_deleted_stream');
SELECT trigger_is('data', 'reducers', 'reducers_sync_snapshot_projection', 'private', 'sync_snapshot_projection');
SELECT is((SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger
           WHERE tgrelid IN ('data.events'::regclass, 'data.event_removals'::regclass, 'data.event_streams'::regclass)
             AND NOT tgisinternal AND tgenabled <> 'A'), NULL, 'the guards fire always (replica sessions too)');

SELECT is((SELECT array_agg(projection_name::text ORDER BY projection_name) FROM data.projections
           WHERE projection_name IN ('notifications', 'snapshots')), ARRAY['notifications', 'snapshots'],
          'the built-in projections are registered');
SELECT ok(to_regclass('data.events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM')) IS NOT NULL,
          'this month has its partition');
SELECT ok((SELECT count(*) = 2 FROM pg_event_trigger WHERE evtname LIKE 'eventstore\_guard\_%'),
          'a superuser''s deploy made the event triggers');

-- (of the v3 change cron_extension)
-- This file runs in a database that is not cron.database_name: the extension is not created
-- here (tests/test_cron.py checks the cron database).
SELECT isnt(current_setting('cron.database_name', true), current_database()::text, 'not the cron database');
SELECT hasnt_extension('pg_cron', 'pg_cron is not created here');
SELECT * FROM finish();
ROLLBACK;
