-- Revert eventstore:cron_jobs from pg (to its v1.5.0 version: the jobs as it scheduled them)
-- v1.1.0: also eventstore-idempotency-keys, daily: api.purge_idempotency_keys('30 days').
-- pg_cron jobs, where pg_cron can run them; deploy succeeds without it.
--   eventstore-projections   the projection worker. pg_cron 1.4 has no second schedules
--                            ('*/5 * * * * *' means every five MINUTES there): a job every
--                            minute whose worker loops for 59 s, committing each batch and
--                            polling every 0.2 s. 59, not 55: a 5 s gap every minute would put
--                            8% of events 5 s behind; a run that overruns only delays the next,
--                            which pg_cron 1.4 queues behind it. pg_cron >= 1.5: every 5
--                            seconds, 4 s loops.
--   eventstore-partitions    daily: the monthly partitions of the next three months.
--   eventstore-cron-history  daily: pg_cron keeps cron.job_run_details for ever; keep 7 days.
--   eventstore-idempotency-keys  daily: idempotency keys older than 30 days.
-- pg_cron schedules in GMT. A job only runs in cron.database_name; elsewhere the NOTICE
-- gives the statements to run there.

BEGIN;

DROP FUNCTION private.cron_jobs(integer[]);

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DO $$
DECLARE
    l_cron_database text := pg_catalog.current_setting('cron.database_name', true);
    l_version integer[];
    l_seconds boolean;
    l_worker text;
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
                     '(sqitch rebase --onto @HEAD^ or revert this change and deploy it).', pg_catalog.current_database();
        RETURN;
    END IF;
    IF l_cron_database <> pg_catalog.current_database() THEN
        RAISE NOTICE 'pg_cron runs in database %, not in %: no jobs scheduled here. In database % run: '
                     'SELECT cron.schedule_in_database(''eventstore-projections'', ''* * * * *'', '
                     '''CALL private.projection_worker(59)'', %); '
                     'SELECT cron.schedule_in_database(''eventstore-partitions'', ''17 3 * * *'', '
                     '''CALL api.ensure_event_partitions(3)'', %); '
                     'SELECT cron.schedule_in_database(''eventstore-idempotency-keys'', ''27 4 * * *'', '
                     '''SELECT api.purge_idempotency_keys(''''30 days'''')'', %);',
                     l_cron_database, pg_catalog.current_database(), l_cron_database,
                     pg_catalog.quote_literal(pg_catalog.current_database()),
                     pg_catalog.quote_literal(pg_catalog.current_database()),
                     pg_catalog.quote_literal(pg_catalog.current_database());
        RETURN;
    END IF;

    CREATE EXTENSION IF NOT EXISTS pg_cron;
    -- extversion looks like 1.4 or 1.4-1 (Debian): major and minor.
    SELECT pg_catalog.regexp_match(e.extversion, '^(\d+)\.(\d+)')::integer[] INTO l_version
    FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron';
    l_seconds := l_version >= ARRAY[1, 5];
    l_worker := CASE WHEN l_seconds THEN 'CALL private.projection_worker(4)'
                     ELSE 'CALL private.projection_worker(59)' END;

    PERFORM cron.schedule('eventstore-projections',
                          CASE WHEN l_seconds THEN '5 seconds' ELSE '* * * * *' END, l_worker);
    PERFORM cron.schedule('eventstore-partitions', '17 3 * * *', 'CALL api.ensure_event_partitions(3)');
    PERFORM cron.schedule('eventstore-cron-history', '47 3 * * *',
                          $job$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '7 days'$job$);
    PERFORM cron.schedule('eventstore-idempotency-keys', '27 4 * * *',
                          $job$SELECT api.purge_idempotency_keys('30 days')$job$);
    RAISE NOTICE 'pg_cron %: scheduled eventstore-projections (%), eventstore-partitions, eventstore-cron-history, '
                 'eventstore-idempotency-keys',
        pg_catalog.array_to_string(l_version, '.'), l_worker;
END
$$;

COMMIT;
