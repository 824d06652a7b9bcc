-- Verify eventstore:baseline_wiring on pg
-- The defaults and triggers that call the code, the built-in projections, this month's
-- partition. (The event triggers are made by a superuser's deploy only, the pg_cron jobs
-- where pg_cron runs them: neither is required here.)

BEGIN;

-- The defaults, by column (not by the function they call: a rename of it is code's alone).
SELECT 1/(count(*) = 3)::int FROM pg_catalog.pg_attrdef AS d
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE (d.adrelid, a.attname) IN (('data.events'::regclass, 'id'), ('data.events'::regclass, 'generation'),
                                 ('data.subject_keys'::regclass, 'key_id'));
SELECT 1/(count(*) = 6)::int FROM pg_catalog.pg_trigger AS t
WHERE NOT t.tgisinternal
  AND t.tgenabled = CASE t.tgname WHEN 'reducers_sync_snapshot_projection' THEN 'O' ELSE 'A' END
  AND (t.tgrelid, t.tgname) IN (('data.events'::regclass, 'events_refuse_update_delete'),
                                ('data.events'::regclass, 'events_refuse_truncate'),
                                ('data.events_default'::regclass, 'events_refuse_truncate'),
                                ('data.event_removals'::regclass, 'event_removals_stamp'),
                                ('data.event_streams'::regclass, 'event_streams_refuse_deleted'),
                                ('data.reducers'::regclass, 'reducers_sync_snapshot_projection'));
SELECT 1/(count(*) = 2)::int FROM data.projections WHERE projection_name IN ('notifications', 'snapshots');
SELECT 1/count(*)::int FROM pg_catalog.pg_inherits AS i
JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
WHERE i.inhparent = 'data.events'::regclass
  AND c.relname = 'events_' || pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY_MM');

ROLLBACK;
