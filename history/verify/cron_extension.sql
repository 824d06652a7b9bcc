-- Verify eventstore:cron_extension on pg
-- Where pg_cron can run jobs for this database, the extension exists.

BEGIN;

DO $$
BEGIN
    IF pg_catalog.current_setting('cron.database_name', true) = pg_catalog.current_database()
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron runs jobs for this database but the extension does not exist';
    END IF;
END
$$;

ROLLBACK;
