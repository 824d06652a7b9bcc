-- Deploy eventstore:cron_extension to pg
-- requires: schemas
-- The pg_cron extension, where pg_cron can run jobs for this database: it is loaded
-- (shared_preload_libraries) and this is its database (cron.database_name). Anywhere else
-- nothing happens here, and change cron_jobs says what to do. (Until v1.5.0 cron_jobs created
-- it; IF NOT EXISTS keeps this a no-op on databases upgraded from there.)

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron')
       AND pg_catalog.current_setting('cron.database_name', true) = pg_catalog.current_database() THEN
        CREATE EXTENSION IF NOT EXISTS pg_cron;
    END IF;
END
$$;

COMMIT;
