-- Verify eventstore:subscriptions on pg

BEGIN;

SELECT subscription_name, stream_types, event_types, max_attempts, lease, generation, transaction_id,
       global_position, created_at, created_by, reset_at, reset_by
FROM data.subscriptions WHERE false;
SELECT subscription_name, event_id, event_created_at, generation, transaction_id, global_position,
       stream_type, stream_id, version, attempts, consumer, leased_at, leased_until, last_error, parked_at
FROM data.subscription_events WHERE false;
SELECT subscription_name, lease_id, consumer, leased_at, leased_until, events
FROM data.subscription_leases WHERE false;
SELECT subscription_name, consumer, first_claim_at, last_claim_at
FROM data.subscription_consumers WHERE false;
SELECT subscription_name, event_id, stream_type, stream_id, version, attempts, last_error, skipped_at, skipped_by
FROM data.subscription_skips WHERE false;

ROLLBACK;
