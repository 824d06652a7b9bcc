-- Revert eventstore:baseline_wiring from pg
-- Takes out what calls the code, so that code can be reverted: the pg_cron jobs (pg_cron
-- stays: other jobs of the server may use it), the built-in projections, the event triggers,
-- the triggers (TRUNCATE's on every partition too) and the defaults. The partitions stay: they
-- may hold events.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DO $$
DECLARE
    l_partition regclass;
BEGIN
    IF pg_catalog.to_regclass('cron.job') IS NOT NULL THEN
        PERFORM cron.unschedule(j.jobid) FROM cron.job AS j WHERE j.jobname LIKE 'eventstore-%';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS t WHERE t.evtname = 'eventstore_guard_drops') THEN
        DROP EVENT TRIGGER eventstore_guard_drops;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS t WHERE t.evtname = 'eventstore_guard_events_ddl') THEN
        DROP EVENT TRIGGER eventstore_guard_events_ddl;
    END IF;
    FOR l_partition IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits AS i
                       WHERE i.inhparent = 'data.events'::regclass LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS events_refuse_truncate ON %s', l_partition);
    END LOOP;
END
$$;

DELETE FROM data.projection_checkpoints WHERE projection_name IN ('notifications', 'snapshots');
DELETE FROM data.projections WHERE projection_name IN ('notifications', 'snapshots');
SELECT private.drop_unused_invokers();

DROP TRIGGER reducers_sync_snapshot_projection ON data.reducers;
DROP TRIGGER event_streams_refuse_deleted ON data.event_streams;
DROP TRIGGER event_removals_stamp ON data.event_removals;
DROP TRIGGER events_refuse_truncate ON data.events;
DROP TRIGGER events_refuse_update_delete ON data.events;

ALTER TABLE data.subject_keys ALTER COLUMN key_id DROP DEFAULT;
ALTER TABLE data.events ALTER COLUMN generation DROP DEFAULT;
ALTER TABLE data.events ALTER COLUMN id DROP DEFAULT;

COMMIT;
