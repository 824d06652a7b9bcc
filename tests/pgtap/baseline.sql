-- pgTAP: change baseline (the state a v3.1.0 store has: roles, schemas, tables, sequences, types)
BEGIN;
SELECT plan(18);

SELECT has_role('eventstore_reader');
SELECT has_role('eventstore_writer');
SELECT has_role('eventstore_projector');
SELECT has_role('eventstore_admin');
SELECT is((SELECT count(*)::integer FROM pg_roles WHERE rolname LIKE 'eventstore\_%' AND rolcanlogin), 0,
          'group roles cannot log in');
SELECT is_member_of('eventstore_reader', 'eventstore_writer');
SELECT is_member_of('eventstore_reader', 'eventstore_projector');
SELECT is_member_of('eventstore_writer', 'eventstore_admin');
SELECT is_member_of('eventstore_projector', 'eventstore_admin');

SELECT has_schema(s) FROM unnest(ARRAY['api', 'data', 'private', 'registered']) AS s;
SELECT has_extension('pgcrypto');

SELECT is((SELECT array_agg(relname::text ORDER BY relname) FROM pg_class
           WHERE relnamespace = 'data'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition),
          ARRAY['event_removals', 'event_schemas', 'event_streams', 'event_types', 'event_upcasters', 'events',
                'forgotten_subjects', 'idempotency_keys', 'personal_data', 'projection_checkpoints', 'projection_skips',
                'projections', 'read_horizon_publisher', 'reducers', 'removed_events', 'retention_policies',
                'retired_event_partitions', 'snapshots', 'store_generations', 'subject_keys', 'subject_streams',
                'subscription_consumers', 'subscription_events', 'subscription_leases', 'subscription_skips',
                'subscriptions', 'tracker_roles', 'tracking'],
          'the store''s tables');
SELECT ok((SELECT relkind = 'p' FROM pg_class WHERE oid = 'data.events'::regclass), 'data.events is partitioned');
SELECT ok(EXISTS (SELECT FROM pg_inherits WHERE inhrelid = 'data.events_default'::regclass
                  AND inhparent = 'data.events'::regclass), 'with a default partition');

SELECT is((SELECT system_identifier FROM data.store_generations WHERE generation = 1),
          (SELECT system_identifier FROM pg_control_system()), 'generation 1 is this cluster''s');

SELECT * FROM finish();
ROLLBACK;
