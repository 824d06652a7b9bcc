-- Verify eventstore:cron_jobs on pg
-- Where pg_cron can run jobs for this database, the three jobs must be scheduled.

BEGIN;

DO $$
BEGIN
    IF pg_catalog.current_setting('cron.database_name', true) = pg_catalog.current_database() THEN
        IF NOT ((SELECT count(*) FROM cron.job AS j
                WHERE j.jobname IN ('eventstore-projections', 'eventstore-partitions', 'eventstore-cron-history')
                  AND j.active AND j.database = pg_catalog.current_database()) = 3) THEN
            RAISE EXCEPTION 'expected: the three eventstore jobs are scheduled';
        END IF;
    END IF;
END
$$;

ROLLBACK;
