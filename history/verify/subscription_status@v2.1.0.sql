-- Verify eventstore:subscription_status on pg

BEGIN;

SELECT subscription_name, consumers, events_behind, events_behind_exact, in_flight, waiting, parked,
       oldest_in_flight_age, last_claim_at, events_held_back, oldest_xact_pid, oldest_xact_database,
       oldest_xact_user, oldest_xact_age, oldest_xact_query, stream_types, event_types, max_attempts, lease
FROM api.subscription_status WHERE false;
SELECT subscription_name, id, stream_type, stream_id, version, attempts, last_error, parked_at
FROM api.parked_events WHERE false;

DO $$
BEGIN
    IF NOT pg_catalog.has_table_privilege('eventstore_admin', 'api.subscription_status', 'SELECT')
       OR NOT pg_catalog.has_table_privilege('eventstore_admin', 'api.parked_events', 'SELECT')
       OR pg_catalog.has_table_privilege('eventstore_projector', 'api.parked_events', 'SELECT') THEN
        RAISE EXCEPTION 'subscription status is for eventstore_admin';
    END IF;
END
$$;

ROLLBACK;
