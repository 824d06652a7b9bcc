-- pgTAP: private.refuse_event_change (v3 change events_append_only)
BEGIN;
SELECT plan(13);
SELECT has_trigger('data'::name, 'events'::name, 'events_refuse_update_delete'::name);
SELECT has_trigger('data'::name, 'events'::name, 'events_refuse_truncate'::name);
SELECT trigger_is('data', 'events', 'events_refuse_update_delete', 'private', 'refuse_event_change');
SELECT has_trigger('data'::name, 'events_default'::name, 'events_refuse_truncate'::name);
SELECT is((SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = 'data.events'::regclass
           AND tgname = 'events_refuse_update_delete'), 'A', 'fires even under session_replication_role = replica');

INSERT INTO data.events (stream_type, stream_id, version, event_type, event_data)
VALUES ('Order', '018f0000-0000-7000-8000-000000000001', 1, 'OrderCreated', '{}');

-- This test runs as the owner of the table: the guard holds for the owner too.
SELECT throws_ok($$UPDATE data.events SET event_type = 'Changed'$$, 'ZE008',
                 'data.events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM') || ' is append-only: UPDATE refused');
SELECT throws_ok($$DELETE FROM data.events$$, 'ZE008', NULL, 'DELETE refused');
SELECT throws_ok($$TRUNCATE data.events$$, 'ZE008', NULL, 'TRUNCATE refused');
SELECT throws_ok($$TRUNCATE data.events_default$$, 'ZE008', NULL, 'TRUNCATE of a partition refused');
SELECT is((SELECT count(*)::integer FROM data.events), 1, 'the event is still there');

-- An audit row alone lets nothing through: the stream is not deleted.
SELECT has_trigger('data'::name, 'event_removals'::name, 'event_removals_stamp'::name);
INSERT INTO data.event_removals (kind, stream_type, stream_id, removed_by, transaction_id)
VALUES ('purge', 'Order', '018f0000-0000-7000-8000-000000000001', 'mallory', '1');
SELECT throws_ok($$DELETE FROM data.events$$, 'ZE008', NULL, 'a purge of a stream that is not deleted is refused');
SELECT is((SELECT removed_by::text || ' ' || (transaction_id = pg_current_xact_id())::text FROM data.event_removals),
          current_user || ' true', 'the bundle stamps who removed and in which transaction');
SELECT * FROM finish();
ROLLBACK;
