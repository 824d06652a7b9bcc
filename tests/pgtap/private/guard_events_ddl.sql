-- pgTAP: private.guard_events_ddl (v3 change event_guards; event triggers: events cannot be destroyed by DDL)
BEGIN;
SELECT plan(8);
SELECT has_function('private', 'guard_events_ddl', ARRAY[]::text[]);
SELECT has_function('private', 'guard_drops', ARRAY[]::text[]);
SELECT is((SELECT string_agg(format('%s %s %s', evtname, evtevent, evtenabled), ', ' ORDER BY evtname)
           FROM pg_catalog.pg_event_trigger WHERE evtname LIKE 'eventstore_guard_%'),
          'eventstore_guard_drops sql_drop O, eventstore_guard_events_ddl ddl_command_end O',
          'both event triggers are enabled (deployed by a superuser)');

SELECT throws_ok($$ALTER TABLE data.events DISABLE TRIGGER events_refuse_update_delete$$, 'ZE008', NULL,
                 'the append-only trigger cannot be disabled');
SELECT throws_ok($$ALTER TABLE data.events DETACH PARTITION data.events_default$$, 'ZE008', NULL,
                 'a partition cannot be detached but by api.detach_event_partitions');
SELECT throws_ok($$DROP TABLE data.events_default$$, 'ZE008', NULL, 'a partition cannot be dropped');

CREATE TABLE public.tap_unrelated (x integer);
SELECT lives_ok($$ALTER TABLE public.tap_unrelated ADD COLUMN y integer$$, 'other tables are not concerned');
SELECT lives_ok($$DROP TABLE public.tap_unrelated$$, 'nor their drops');
SELECT * FROM finish();
ROLLBACK;
