-- pgTAP: change baseline (the state a v3.1.0 store has: roles, schemas, tables, sequences, types)
BEGIN;
SELECT plan(29);
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
          ARRAY['event_removals', 'event_schemas', 'event_streams', 'event_tags', 'event_types', 'event_upcasters', 'events',
                'forgotten_subjects', 'idempotency_keys', 'personal_data', 'projection_checkpoints', 'projection_skips',
                'projections', 'read_horizon_publisher', 'reducers', 'removed_events', 'retention_policies',
                'retired_event_partitions', 'snapshots', 'store_generations', 'subject_keys', 'subject_streams',
                'subscription_consumers', 'subscription_events', 'subscription_leases', 'subscription_skips',
                'subscriptions', 'tracker_roles', 'tracking'],
          'the store''s tables (event_tags: change event_tags)');
SELECT ok((SELECT relkind = 'p' FROM pg_class WHERE oid = 'data.events'::regclass), 'data.events is partitioned');
SELECT ok(EXISTS (SELECT FROM pg_inherits WHERE inhrelid = 'data.events_default'::regclass
                  AND inhparent = 'data.events'::regclass), 'with a default partition');

SELECT is((SELECT system_identifier FROM data.store_generations WHERE generation = 1),
          (SELECT system_identifier FROM pg_control_system()), 'generation 1 is this cluster''s');

-- (of the v3 change order_domain_moved)
-- This database has the core only (and the tests' fixture domain): the change, deployed where
-- no Order data was, left none of the v1.x Order domain behind. (That an upgrade with Order
-- data keeps it, and the revert gives it back, is tested across deploys in
-- tests/test_migrations.py; that the example then holds each Order object once, in
-- examples/orders/tests.)
SELECT is((SELECT count(*)::integer FROM data.projections WHERE projection_name = 'order_summaries'), 0,
          'no order_summaries projection');
SELECT is((SELECT count(*)::integer FROM data.reducers WHERE stream_type = 'Order'), 0, 'no Order reducer');
SELECT is((SELECT count(*)::integer FROM data.event_upcasters WHERE event_type = 'OrderCreated'), 0,
          'no OrderCreated upcaster');
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_proc
           WHERE proname IN ('create_order', 'create_customer', 'order_reducer', 'get_customer_orders')), 0,
          'no Order function');

-- (of the v3 change pgcrypto_extension)
SELECT ok(EXISTS (SELECT FROM pg_extension WHERE extname = 'pgcrypto'), 'pgcrypto is installed');
SELECT is((SELECT count(*)::integer FROM pg_proc AS p JOIN pg_extension AS e ON e.extname = 'pgcrypto'
           JOIN pg_depend AS d ON d.objid = p.oid AND d.refobjid = e.oid
           WHERE p.proname IN ('encrypt_iv', 'decrypt_iv', 'gen_random_bytes')), 3,
          'with the functions personal_data uses');

-- (of the v3 change schemas)

SELECT schema_privs_are('api', 'eventstore_reader', ARRAY['USAGE']);
SELECT schema_privs_are('data', 'eventstore_admin', ARRAY['USAGE'], 'admins name data types (handler signatures), no more');
SELECT schema_privs_are('private', 'eventstore_admin', ARRAY[]::text[]);
SELECT schema_privs_are('data', 'public', ARRAY[]::text[]);
SELECT schema_privs_are('api', 'public', ARRAY[]::text[]);
SELECT * FROM finish();
ROLLBACK;
