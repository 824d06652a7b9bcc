-- Verify eventstore:projections on pg

BEGIN;

SELECT projection_name, handler, reset_handler, event_types, stream_types, batch_size, created_at
FROM data.projections WHERE false;
SELECT projection_name, last_event_id, last_processed, status, error_message, generation,
       transaction_id, global_position, failed_event_id, failed_at, events_applied
FROM data.projection_checkpoints WHERE false;
SELECT projection_name, event_id, error_message, skipped_at, skipped_by
FROM data.projection_skips WHERE false;

ROLLBACK;
