-- Revert eventstore:cron_extension from pg
-- The extension stays: it may run other jobs of this server (change cron_jobs unschedules
-- ours). Drop it yourself if nothing else uses it: DROP EXTENSION pg_cron.

BEGIN;
SELECT 1;
COMMIT;
