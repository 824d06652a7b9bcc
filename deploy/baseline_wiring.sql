-- Deploy eventstore:baseline_wiring to pg
-- What of the baseline's state calls the code, so it comes after change code: column defaults
-- that call functions, the triggers that guard the log and stamp its removals, the event
-- triggers (a superuser's deploy only), the two built-in projections (notifications, snapshots),
-- the months of partitions ahead, and the pg_cron jobs. As a fresh v3.1.0 has them.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Defaults (ALTER TABLE on the partitioned table reaches its partitions).
ALTER TABLE data.events ALTER COLUMN id SET DEFAULT private.uuidv7();
ALTER TABLE data.events ALTER COLUMN generation SET DEFAULT private.writer_generation();
ALTER TABLE data.subject_keys ALTER COLUMN key_id SET DEFAULT private.uuidv7();

-- The log is append-only: no UPDATE, DELETE or TRUNCATE but a sanctioned removal's. TRUNCATE
-- triggers are not cloned to partitions: private.create_event_partition adds it to new months.
-- ENABLE ALWAYS keeps them firing under session_replication_role = replica.
CREATE TRIGGER events_refuse_update_delete BEFORE DELETE OR UPDATE ON data.events
    FOR EACH ROW EXECUTE FUNCTION private.refuse_event_change();
ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_refuse_update_delete;
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.events
    FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();
ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_refuse_truncate;
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.events_default
    FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();
ALTER TABLE data.events_default ENABLE ALWAYS TRIGGER events_refuse_truncate;

-- A removal's audit row is stamped by the bundle (who, which transaction, when).
CREATE TRIGGER event_removals_stamp BEFORE INSERT OR UPDATE OF removed_by, transaction_id, removed_at
    ON data.event_removals FOR EACH ROW EXECUTE FUNCTION private.stamp_event_removal();
ALTER TABLE data.event_removals ENABLE ALWAYS TRIGGER event_removals_stamp;

-- A deleted stream takes no more appends.
CREATE TRIGGER event_streams_refuse_deleted BEFORE UPDATE ON data.event_streams
    FOR EACH ROW WHEN (old.deleted_at IS NOT NULL) EXECUTE FUNCTION private.refuse_deleted_stream();
ALTER TABLE data.event_streams ENABLE ALWAYS TRIGGER event_streams_refuse_deleted;

-- The snapshots projection follows the reducers that ask for snapshots.
CREATE TRIGGER reducers_sync_snapshot_projection AFTER INSERT OR DELETE OR UPDATE ON data.reducers
    FOR EACH STATEMENT EXECUTE FUNCTION private.sync_snapshot_projection();

-- Event triggers need a superuser: partitions of data.events are detached or dropped only
-- through api.detach_event_partitions, and a registration's invoker is not dropped under it.
DO $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        CREATE EVENT TRIGGER eventstore_guard_events_ddl ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION private.guard_events_ddl();
        CREATE EVENT TRIGGER eventstore_guard_drops ON sql_drop
            EXECUTE FUNCTION private.guard_drops();
    ELSE
        RAISE NOTICE 'baseline_wiring: % is not a superuser: no event triggers guard data.events and the invokers (README: Security)',
            current_user;
    END IF;
END
$$;

-- The built-in projections: LISTEN/NOTIFY of appends, and snapshots of the reducers that ask.
DO $$
BEGIN
    PERFORM api.register_projection(
        in_projection_name := 'notifications',
        in_handler := 'private.notify_events(data.events[])',
        in_batch_size := 1000);
    PERFORM api.register_projection(
        in_projection_name := 'snapshots',
        in_handler := 'private.maybe_create_snapshot(data.events[])',
        in_stream_types := ARRAY(SELECT r.stream_type FROM data.reducers AS r
                                 WHERE r.snapshot_interval IS NOT NULL ORDER BY r.stream_type),
        in_batch_size := 1000);
END
$$;

-- This month's partition and the next three (pg_cron keeps them ahead daily).
CALL api.ensure_event_partitions();

-- Months made before this change (deployed again after its revert) get their TRUNCATE guard
-- back: private.create_event_partition adds it only to the months it makes.
DO $$
DECLARE
    l_partition regclass;
BEGIN
    FOR l_partition IN
        SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits AS i
        WHERE i.inhparent = 'data.events'::regclass
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                          WHERE t.tgrelid = i.inhrelid AND t.tgname = 'events_refuse_truncate')
    LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON %s '
                                  'FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change()', l_partition);
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER events_refuse_truncate', l_partition);
    END LOOP;
END
$$;

-- pg_cron where it runs jobs: in the database named by cron.database_name.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron')
       AND pg_catalog.current_setting('cron.database_name', true) = pg_catalog.current_database() THEN
        CREATE EXTENSION IF NOT EXISTS pg_cron;
    END IF;
END
$$;

-- The store's jobs, where pg_cron runs them (README: "Without pg_cron" otherwise).
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
                     '''pg_cron'' and cron.database_name = ''%'' (docker/eventstore.conf), restart, then in this database: CREATE EXTENSION pg_cron; '
                     'SELECT cron.schedule(j.job_name, j.schedule, j.command) FROM private.cron_jobs(ARRAY[1, 5]) AS j;', pg_catalog.current_database();
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
    FOR l_job IN SELECT j.job_name, j.schedule, j.command FROM private.cron_jobs(l_version) AS j LOOP
        PERFORM cron.schedule(l_job.job_name, l_job.schedule, l_job.command);
    END LOOP;
    RAISE NOTICE 'pg_cron %: scheduled %', pg_catalog.array_to_string(l_version, '.'),
        (SELECT pg_catalog.string_agg(j.job_name || ' (' || j.schedule || ')', ', ') FROM private.cron_jobs(l_version) AS j);
END
$$;

COMMIT;
