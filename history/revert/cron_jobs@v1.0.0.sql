-- Revert eventstore:cron_jobs from pg
-- Removes the jobs deploy scheduled. The pg_cron extension stays: other jobs of this
-- database may use it (DROP EXTENSION pg_cron yourself if none do).

BEGIN;

DO $$
BEGIN
    IF pg_catalog.to_regclass('cron.job') IS NOT NULL THEN
        PERFORM cron.unschedule(j.jobid)
        FROM cron.job AS j
        WHERE j.jobname IN ('eventstore-projections', 'eventstore-partitions', 'eventstore-cron-history')
          AND j.database = pg_catalog.current_database();
    END IF;
END
$$;

COMMIT;
