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
           ('eventstore-idempotency-keys', '27 4 * * *', $job$SELECT api.purge_idempotency_keys('30 days')$job$),
           ('eventstore-retention', '37 4 * * *', 'CALL api.apply_retention()');
$$;

COMMENT ON FUNCTION private.cron_jobs(in_version integer[]) IS 'The bundle''s pg_cron jobs (name, schedule, command) for a pg_cron version: what cron_jobs schedules';
REVOKE ALL ON FUNCTION private.cron_jobs(in_version integer[]) FROM PUBLIC;
