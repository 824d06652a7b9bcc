-- Revert eventstore:cron_jobs from pg (to its v2.0.0 version: four jobs, no retention)
-- requires: cron_jobs@v1.5.0
-- requires: cron_extension
-- requires: idempotency_key_retention
-- The pg_cron jobs of the bundle, from one list (private.cron_jobs()): it is what this change
-- schedules where pg_cron runs jobs for this database, and what it prints to run elsewhere.
--   eventstore-projections       the projection worker. pg_cron 1.4 has no second schedules
--                                ('*/5 * * * * *' means every five MINUTES there): a job every
--                                minute whose worker loops for 59 s, committing each batch. A
--                                run that overruns only delays the next. pg_cron >= 1.5: every
--                                5 seconds, 4 s loops.
--   eventstore-partitions        daily: the monthly partitions of the next three months.
--   eventstore-cron-history      daily: pg_cron keeps cron.job_run_details for ever; keep 7
--                                days of THESE jobs' runs (since v1.5.0: not other jobs').
--   eventstore-idempotency-keys  daily: idempotency keys older than 30 days.
-- pg_cron schedules in GMT. Since v1.5.0 the extension is created by change cron_extension.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- The jobs, for a pg_cron of version in_version (major, minor).
CREATE OR REPLACE FUNCTION private.cron_jobs(in_version integer[])
RETURNS TABLE (job_name text, schedule text, command text)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    VALUES ('eventstore-projections',
            CASE WHEN in_version >= ARRAY[1, 5] THEN '5 seconds' ELSE '* * * * *' END,
            CASE WHEN in_version >= ARRAY[1, 5] THEN 'CALL private.projection_worker(4)'
                 ELSE 'CALL private.projection_worker(59)' END),
           ('eventstore-partitions', '17 3 * * *', 'CALL api.ensure_event_partitions(3)'),
           ('eventstore-cron-history', '47 3 * * *',
            $job$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '7 days' AND jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'eventstore-%')$job$),
           ('eventstore-idempotency-keys', '27 4 * * *', $job$SELECT api.purge_idempotency_keys('30 days')$job$);
$$;

COMMENT ON FUNCTION private.cron_jobs(integer[]) IS
    'The bundle''s pg_cron jobs (name, schedule, command) for a pg_cron version: what cron_jobs schedules';

REVOKE ALL ON FUNCTION private.cron_jobs(integer[]) FROM PUBLIC;

DO $$
DECLARE
    l_cron_database text := pg_catalog.current_setting('cron.database_name', true);
    l_version integer[];
    l_job record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron') THEN
        RAISE NOTICE 'pg_cron is not installed on this server: no jobs scheduled. '
                     'Run the projections with SELECT api.run_projections() in a loop, or install pg_cron '
                     '(README: "Without pg_cron").';
        RETURN;
    END IF;
    IF l_cron_database IS NULL THEN
        RAISE NOTICE 'pg_cron is installed but not loaded: no jobs scheduled. Add shared_preload_libraries = '
                     '''pg_cron'' and cron.database_name = ''%'' (docker/eventstore.conf), restart, and deploy again '
                     '(revert cron_extension and the changes after it, then deploy).', pg_catalog.current_database();
        RETURN;
    END IF;
    IF l_cron_database <> pg_catalog.current_database() THEN
        -- The version there is not known here: the statements for pg_cron 1.4 (minutely).
        RAISE NOTICE 'pg_cron runs in database %, not in %: no jobs scheduled here. In database % run: %',
            l_cron_database, pg_catalog.current_database(), l_cron_database,
            (SELECT pg_catalog.string_agg(pg_catalog.format('SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                                              j.job_name, j.schedule, j.command,
                                                              pg_catalog.current_database()), ' ')
             FROM private.cron_jobs(ARRAY[1, 4]) AS j);
        RETURN;
    END IF;

    -- extversion looks like 1.4 or 1.4-1 (Debian): major and minor.
    SELECT pg_catalog.regexp_match(e.extversion, '^(\d+)\.(\d+)')::integer[] INTO l_version
    FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron';
    IF EXISTS (SELECT FROM cron.job AS j WHERE j.jobname = 'eventstore-retention') THEN
        PERFORM cron.unschedule('eventstore-retention');
    END IF;
    FOR l_job IN SELECT j.job_name, j.schedule, j.command FROM private.cron_jobs(l_version) AS j LOOP
        PERFORM cron.schedule(l_job.job_name, l_job.schedule, l_job.command);
    END LOOP;
    RAISE NOTICE 'pg_cron %: scheduled %', pg_catalog.array_to_string(l_version, '.'),
        (SELECT pg_catalog.string_agg(j.job_name || ' (' || j.schedule || ')', ', ') FROM private.cron_jobs(l_version) AS j);
END
$$;

COMMIT;
