-- Verify eventstore:cron_jobs on pg
-- The list of jobs; where pg_cron runs jobs for this database, every job of the list scheduled.

BEGIN;

SELECT 'private.cron_jobs(integer[])'::pg_catalog.regprocedure;

DO $$
BEGIN
    -- Nested: cron.job exists only where pg_cron runs (PL/pgSQL prepares the inner test only
    -- when it gets there).
    IF pg_catalog.current_setting('cron.database_name', true) = pg_catalog.current_database() THEN
        IF (SELECT count(*) FROM cron.job AS j
            JOIN private.cron_jobs(ARRAY[1, 4]) AS l ON l.job_name = j.jobname
            WHERE j.active AND j.database = pg_catalog.current_database())
           <> (SELECT count(*) FROM private.cron_jobs(ARRAY[1, 4])) THEN
            RAISE EXCEPTION 'every job of private.cron_jobs must be scheduled';
        END IF;
    END IF;
END
$$;

ROLLBACK;
