-- pgTAP: change cron_jobs
-- This file runs in a database that is not cron.database_name: the change must have
-- scheduled nothing there and left pg_cron out (tests/test_cron.py covers the cron database).
BEGIN;
SELECT plan(4);

SELECT isnt(current_setting('cron.database_name', true), current_database()::text, 'not the cron database');
SELECT hasnt_extension('pg_cron', 'pg_cron is not created here');
SELECT has_function('private', 'projection_worker', ARRAY['numeric'], 'the worker a job would run exists');
SELECT is((SELECT count(*)::integer FROM private.cron_jobs(ARRAY[1, 5])), 5, 'five jobs in the list');

SELECT * FROM finish();
ROLLBACK;
