-- Verify eventstore:baseline on pg
-- What the baseline owns: the group roles, schemas, tables with their columns, indexes,
-- sequences and composite types. Routines and views are verify/code.sql's; what calls them,
-- verify/baseline_wiring.sql's.

BEGIN;

SELECT 'eventstore_reader'::regrole, 'eventstore_writer'::regrole, 'eventstore_projector'::regrole,
       'eventstore_admin'::regrole;
SELECT 1/pg_catalog.pg_has_role('eventstore_admin', 'eventstore_writer', 'MEMBER')::int,
       1/pg_catalog.pg_has_role('eventstore_admin', 'eventstore_projector', 'MEMBER')::int,
       1/pg_catalog.pg_has_role('eventstore_writer', 'eventstore_reader', 'MEMBER')::int,
       1/pg_catalog.pg_has_role('eventstore_projector', 'eventstore_reader', 'MEMBER')::int;
SELECT 'api'::regnamespace, 'data'::regnamespace, 'private'::regnamespace, 'registered'::regnamespace;
SELECT 1/pg_catalog.has_schema_privilege('eventstore_reader', 'api', 'USAGE')::int;
SELECT 1/count(*)::int FROM pg_catalog.pg_extension WHERE extname = 'pgcrypto';

SELECT removal_id, kind, stream_type, stream_id, before, transaction_id, removed_by, removed_at, events_removed FROM data.event_removals WHERE false;
SELECT event_type, version, schema, created_at FROM data.event_schemas WHERE false;
SELECT stream_type, stream_id, current_version, created_at, updated_at, last_generation, last_transaction_id, deleted_at FROM data.event_streams WHERE false;
SELECT event_type, current_version FROM data.event_types WHERE false;
SELECT event_type, from_version, upcaster, registered_at, upcaster_invoker, registered_by FROM data.event_upcasters WHERE false;
SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at, global_position, transaction_id, generation, schema_version FROM data.events WHERE false;
SELECT key_id, forgotten_by, forgotten_at, streams, snapshots_removed, forgotten_xid FROM data.forgotten_subjects WHERE false;
SELECT idempotency_key, stream_type, stream_id, first_version, new_version, created_at FROM data.idempotency_keys WHERE false;
SELECT event_type, subject_path, fields, registered_by, registered_at FROM data.personal_data WHERE false;
SELECT projection_name, last_event_id, last_processed, status, error_message, generation, transaction_id, global_position, failed_event_id, failed_at, events_applied FROM data.projection_checkpoints WHERE false;
SELECT projection_name, event_id, error_message, skipped_at, skipped_by FROM data.projection_skips WHERE false;
SELECT projection_name, handler, reset_handler, event_types, stream_types, batch_size, created_at, handler_invoker, reset_handler_invoker, registered_by, version_of, version, replay_generation, replay_transaction_id, replay_global_position FROM data.projections WHERE false;
SELECT stream_type, reducer, reducer_version, snapshot_interval, registered_at, reducer_invoker, registered_by FROM data.reducers WHERE false;
SELECT id, generation, transaction_id, global_position, removal_id FROM data.removed_events WHERE false;
SELECT stream_type, keep, set_by, set_at FROM data.retention_policies WHERE false;
SELECT partition_name, range_from, range_to, first_generation, first_transaction_id, first_global_position, retired_at, retired_by FROM data.retired_event_partitions WHERE false;
SELECT stream_type, stream_id, version, state, created_at, reducer_version FROM data.snapshots WHERE false;
SELECT generation, system_identifier, started_at, server_started_at FROM data.store_generations WHERE false;
SELECT key_id, subject_id, key, created_at FROM data.subject_keys WHERE false;
SELECT key_id, stream_type, stream_id FROM data.subject_streams WHERE false;
SELECT subscription_name, consumer, first_claim_at, last_claim_at FROM data.subscription_consumers WHERE false;
SELECT subscription_name, event_id, event_created_at, generation, transaction_id, global_position, stream_type, stream_id, version, attempts, consumer, leased_at, leased_until, last_error, parked_at, claimed_by FROM data.subscription_events WHERE false;
SELECT subscription_name, lease_id, consumer, leased_at, leased_until, events, claimed_by FROM data.subscription_leases WHERE false;
SELECT subscription_name, event_id, stream_type, stream_id, version, attempts, last_error, skipped_at, skipped_by FROM data.subscription_skips WHERE false;
SELECT subscription_name, stream_types, event_types, max_attempts, lease, generation, transaction_id, global_position, created_at, created_by, reset_at, reset_by, consumer_role, read_guard FROM data.subscriptions WHERE false;
SELECT tracker, consumer_role FROM data.tracker_roles WHERE false;
SELECT tracker, upstream, "position", owner, recorded_at FROM data.tracking WHERE false;
SELECT 'data.event_removals_pkey'::regclass;
SELECT 'data.event_removals_removal_id_seq'::regclass;
SELECT 'data.event_removals_transaction_idx'::regclass;
SELECT 'data.event_schemas_pkey'::regclass;
SELECT 'data.event_streams_pkey'::regclass;
SELECT 'data.event_types_pkey'::regclass;
SELECT 'data.event_upcasters_pkey'::regclass;
SELECT 'data.events_causation_idx'::regclass;
SELECT 'data.events_correlation_idx'::regclass;
SELECT 'data.events_created_idx'::regclass;
SELECT 'data.events_global_position_seq'::regclass;
SELECT 'data.events_log_idx'::regclass;
SELECT 'data.events_pkey'::regclass;
SELECT 'data.events_stream_idx'::regclass;
SELECT 'data.events_type_idx'::regclass;
SELECT 'data.forgotten_subjects_pkey'::regclass;
SELECT 'data.idempotency_keys_created_idx'::regclass;
SELECT 'data.idempotency_keys_pkey'::regclass;
SELECT 'data.personal_data_pkey'::regclass;
SELECT 'data.projection_checkpoints_pkey'::regclass;
SELECT 'data.projection_skips_pkey'::regclass;
SELECT 'data.projections_pkey'::regclass;
SELECT 'data.projections_version_key'::regclass;
SELECT 'data.read_horizon'::regclass;
SELECT 'data.reducers_pkey'::regclass;
SELECT 'data.removed_events_log_idx'::regclass;
SELECT 'data.removed_events_pkey'::regclass;
SELECT 'data.removed_events_removal_idx'::regclass;
SELECT 'data.retention_policies_pkey'::regclass;
SELECT 'data.retired_event_partitions_pkey'::regclass;
SELECT 'data.snapshots_pkey'::regclass;
SELECT 'data.snapshots_version_idx'::regclass;
SELECT 'data.store_generations_pkey'::regclass;
SELECT 'data.subject_keys_pkey'::regclass;
SELECT 'data.subject_keys_subject_id_key'::regclass;
SELECT 'data.subject_streams_pkey'::regclass;
SELECT 'data.subject_streams_stream_idx'::regclass;
SELECT 'data.subscription_consumers_pkey'::regclass;
SELECT 'data.subscription_events_lease_idx'::regclass;
SELECT 'data.subscription_events_parked_idx'::regclass;
SELECT 'data.subscription_events_pkey'::regclass;
SELECT 'data.subscription_events_stream_idx'::regclass;
SELECT 'data.subscription_events_waiting_idx'::regclass;
SELECT 'data.subscription_leases_consumer_idx'::regclass;
SELECT 'data.subscription_leases_lease_id_seq'::regclass;
SELECT 'data.subscription_leases_pkey'::regclass;
SELECT 'data.subscription_skips_pkey'::regclass;
SELECT 'data.subscriptions_pkey'::regclass;
SELECT 'data.tracker_roles_pkey'::regclass;
SELECT 'data.tracking_pkey'::regclass;
SELECT 'private.subscription_delivery'::regtype;
SELECT 'private.subscription_event_ref'::regtype;

ROLLBACK;
