-- pgTAP: change cron_extension
-- This file runs in a database that is not cron.database_name: the extension is not created
-- here (tests/test_cron.py checks the cron database).
BEGIN;
SELECT plan(2);

SELECT isnt(current_setting('cron.database_name', true), current_database()::text, 'not the cron database');
SELECT hasnt_extension('pg_cron', 'pg_cron is not created here');

SELECT * FROM finish();
ROLLBACK;
