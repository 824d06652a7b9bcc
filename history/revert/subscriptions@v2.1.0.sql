-- Revert eventstore:subscriptions from pg

BEGIN;

DROP TABLE data.subscription_skips;
DROP TABLE data.subscription_consumers;
DROP TABLE data.subscription_events;
DROP TABLE data.subscription_leases;
DROP TYPE private.subscription_event_ref;
DROP TABLE data.subscriptions;

COMMIT;
