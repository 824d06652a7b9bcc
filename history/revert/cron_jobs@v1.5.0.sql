-- Revert eventstore:cron_jobs from pg
-- Back to v1.0.0: the new job goes; the v1.0.0 jobs are (re)scheduled as v1.0.0 did.
-- (The body below is deploy/cron_jobs@v1.0.0.sql, after removing what v1.1.0 added.)

BEGIN;

DO $$
BEGIN
    IF pg_catalog.to_regclass('cron.job') IS NOT NULL THEN
        PERFORM cron.unschedule(j.jobid) FROM cron.job AS j
        WHERE j.jobname = 'eventstore-idempotency-keys' AND j.database = pg_catalog.current_database();
    END IF;
END
$$;

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
                     '''CALL api.ensure_event_partitions(3)'', %);',
                     l_cron_database, pg_catalog.current_database(), l_cron_database,
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
    RAISE NOTICE 'pg_cron %: scheduled eventstore-projections (%), eventstore-partitions, eventstore-cron-history',
        pg_catalog.array_to_string(l_version, '.'), l_worker;
END
$$;

COMMIT;
