-- Deploy eventstore:code to pg
-- The current text of every function, procedure and view of the store, one file each under
-- sql/<schema>/<name>.sql: functions and procedures, then views (private before api). Each
-- file is idempotent (CREATE OR REPLACE, its comment, its grants). Tables, indexes and data
-- migrations are the changes before this one. Generated list: python -m harness.code write.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)
-- A function's body may name one whose file comes later in this list (as in pg_dump's output);
-- the tests run every function, and plpgsql_check checks the PL/pgSQL ones.
SET LOCAL check_function_bodies = off;

\ir ../sql/drops.sql

\ir ../sql/private/acts_for.sql
\ir ../sql/private/announced_before_xid.sql
\ir ../sql/private/calling_admin.sql
\ir ../sql/private/calling_role.sql
\ir ../sql/private/check_event_batch.sql
\ir ../sql/private/check_event_exists.sql
\ir ../sql/private/check_event_schema.sql
\ir ../sql/private/check_interval.sql
\ir ../sql/private/check_limit.sql
\ir ../sql/private/check_projection_handlers.sql
\ir ../sql/private/check_subscription_name.sql
\ir ../sql/private/check_type_filter.sql
\ir ../sql/private/confirm_generation.sql
\ir ../sql/private/conservative_horizon.sql
\ir ../sql/private/count_events_after.sql
\ir ../sql/private/create_event_partition.sql
\ir ../sql/private/cron_jobs.sql
\ir ../sql/private/cursor_position.sql
\ir ../sql/private/drop_unused_invokers.sql
\ir ../sql/private/expired_event_partition.sql
\ir ../sql/private/extension_schema.sql
\ir ../sql/private/first_unreadable_event.sql
\ir ../sql/private/fold_events.sql
\ir ../sql/private/forget_deliveries_created_before.sql
\ir ../sql/private/forget_removed_deliveries.sql
\ir ../sql/private/guard_drops.sql
\ir ../sql/private/guard_events_ddl.sql
\ir ../sql/private/horizon_holder.sql
\ir ../sql/private/invoker_call.sql
\ir ../sql/private/json_path_member.sql
\ir ../sql/private/json_schema_error.sql
\ir ../sql/private/json_schema_problem.sql
\ir ../sql/private/lock_projection_versions.sql
\ir ../sql/private/lock_subscription.sql
\ir ../sql/private/log_events.sql
\ir ../sql/private/log_number.sql
\ir ../sql/private/log_number_base.sql
\ir ../sql/private/log_number_position.sql
\ir ../sql/private/log_refs.sql
\ir ../sql/private/make_invoker.sql
\ir ../sql/private/make_read_guard.sql
\ir ../sql/private/mark_projection_failed.sql
\ir ../sql/private/maybe_create_snapshot.sql
\ir ../sql/private/new_subject_key.sql
\ir ../sql/private/notify_events.sql
\ir ../sql/private/oldest_transaction_pid.sql
\ir ../sql/private/open_sealed.sql
\ir ../sql/private/open_value.sql
\ir ../sql/private/parked_event.sql
\ir ../sql/private/projection_acted_until.sql
\ir ../sql/private/projection_status.sql
\ir ../sql/private/projection_worker.sql
\ir ../sql/private/promotion_max_lag.sql
\ir ../sql/private/publish_read_horizon.sql
\ir ../sql/private/raise_append_conflict.sql
\ir ../sql/private/raise_if_locked.sql
\ir ../sql/private/raise_unknown_projection.sql
\ir ../sql/private/raise_unknown_projection_version.sql
\ir ../sql/private/raise_unknown_subscription.sql
\ir ../sql/private/read_deliveries_one_by_one.sql
\ir ../sql/private/read_event_alone.sql
\ir ../sql/private/read_horizon.sql
\ir ../sql/private/readable_after.sql
\ir ../sql/private/refresh_event_type.sql
\ir ../sql/private/refuse_deleted_stream.sql
\ir ../sql/private/refuse_event_change.sql
\ir ../sql/private/refuse_passed_appender.sql
\ir ../sql/private/regex_problem.sql
\ir ../sql/private/registration_problem.sql
\ir ../sql/private/reset_projection_state.sql
\ir ../sql/private/retention_cutoff.sql
\ir ../sql/private/retire_event_partition.sql
\ir ../sql/private/reveal_personal_data.sql
\ir ../sql/private/run_projection_batch.sql
\ir ../sql/private/run_projection_guarded.sql
\ir ../sql/private/run_with_lock_retries.sql
\ir ../sql/private/save_snapshot.sql
\ir ../sql/private/seal_personal_data.sql
\ir ../sql/private/seal_value.sql
\ir ../sql/private/snapshot_is_current.sql
\ir ../sql/private/stamp_event_removal.sql
\ir ../sql/private/status_horizon.sql
\ir ../sql/private/stream_is_deleted.sql
\ir ../sql/private/subject_key.sql
\ir ../sql/private/subscription_intake.sql
\ir ../sql/private/subscription_intake_unread.sql
\ir ../sql/private/subscription_status.sql
\ir ../sql/private/sync_snapshot_projection.sql
\ir ../sql/private/upcast_event.sql
\ir ../sql/private/uuidv7.sql
\ir ../sql/private/uuidv7_time.sql
\ir ../sql/private/writer_generation.sql
\ir ../sql/private/xid_near.sql
\ir ../sql/api/ack_events.sql
\ir ../sql/api/append_events.sql
\ir ../sql/api/append_events_idempotent.sql
\ir ../sql/api/append_versioned.sql
\ir ../sql/api/apply_retention.sql
\ir ../sql/api/apply_retention_step.sql
\ir ../sql/api/claim_events.sql
\ir ../sql/api/create_subscription.sql
\ir ../sql/api/delete_stream.sql
\ir ../sql/api/detach_event_partitions.sql
\ir ../sql/api/drop_projection_version.sql
\ir ../sql/api/drop_subscription.sql
\ir ../sql/api/ensure_event_partitions.sql
\ir ../sql/api/forget_subject.sql
\ir ../sql/api/get_aggregate_state.sql
\ir ../sql/api/get_all_events.sql
\ir ../sql/api/get_causation_chain.sql
\ir ../sql/api/get_events.sql
\ir ../sql/api/get_events_by_correlation.sql
\ir ../sql/api/get_events_by_type.sql
\ir ../sql/api/get_stream_version.sql
\ir ../sql/api/last_log_number.sql
\ir ../sql/api/load_aggregate.sql
\ir ../sql/api/nack_event.sql
\ir ../sql/api/pause_projection.sql
\ir ../sql/api/projection_live_version.sql
\ir ../sql/api/projection_replaying.sql
\ir ../sql/api/promote_projection.sql
\ir ../sql/api/purge_idempotency_keys.sql
\ir ../sql/api/purge_stream.sql
\ir ../sql/api/read_log.sql
\ir ../sql/api/read_versioned.sql
\ir ../sql/api/rebuild_projection.sql
\ir ../sql/api/record_tracking.sql
\ir ../sql/api/register_event_schema.sql
\ir ../sql/api/register_personal_data.sql
\ir ../sql/api/register_projection.sql
\ir ../sql/api/register_projection_version.sql
\ir ../sql/api/register_reducer.sql
\ir ../sql/api/register_upcaster.sql
\ir ../sql/api/replay_parked.sql
\ir ../sql/api/reset_projection.sql
\ir ../sql/api/reset_subscription.sql
\ir ../sql/api/resume_projection.sql
\ir ../sql/api/run_projection.sql
\ir ../sql/api/run_projections.sql
\ir ../sql/api/set_retention.sql
\ir ../sql/api/set_subscription_role.sql
\ir ../sql/api/skip_parked.sql
\ir ../sql/api/tracking_position.sql
\ir ../sql/api/uuidv7.sql
\ir ../sql/private/current_generation.sql
\ir ../sql/private/events_as_read.sql
\ir ../sql/api/append_lock_waits.sql
\ir ../sql/api/parked_events.sql
\ir ../sql/api/projection_status.sql
\ir ../sql/api/subscription_status.sql

COMMIT;
