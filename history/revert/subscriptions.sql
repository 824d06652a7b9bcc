-- Revert eventstore:subscriptions from pg: back to subscriptions@v2.1.0 (no owners, no read guard).

BEGIN;

SET LOCAL lock_timeout = '10s';

ALTER TABLE data.subscription_events DROP COLUMN claimed_by;
ALTER TABLE data.subscription_leases DROP COLUMN claimed_by;
ALTER TABLE data.subscriptions DROP COLUMN read_guard;
ALTER TABLE data.subscriptions DROP COLUMN consumer_role;

COMMIT;
