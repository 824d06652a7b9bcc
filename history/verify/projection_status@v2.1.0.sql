-- Verify eventstore:projection_status on pg

BEGIN;

SELECT projection_name, status, last_event_id, last_processed, events_applied, events_behind,
       events_held_back, oldest_xact_pid, oldest_xact_database, oldest_xact_user, oldest_xact_age,
       oldest_xact_query, error_message, failed_event_id, failed_at, events_behind_exact
FROM api.projection_status
WHERE false;

DO $$
BEGIN
    IF NOT pg_catalog.has_table_privilege('eventstore_reader', 'api.projection_status', 'SELECT') THEN
        RAISE EXCEPTION 'readers watch projections';
    END IF;
END
$$;

-- Since v1.1.0 (the reworked change): status must show prepared transactions (since
-- v1.3.0 through private.horizon_holder).
DO $$
BEGIN
END
$$;

ROLLBACK;
