-- pgTAP: change subscriptions (the tables; behaviour: subscription_admin, subscription_claims)
BEGIN;
SELECT plan(12);

SELECT has_table('data', 'subscriptions', 'subscription definitions and cursors');
SELECT has_table('data', 'subscription_events', 'events taken in and not acknowledged');
SELECT has_table('data', 'subscription_consumers', 'members');
SELECT has_table('data', 'subscription_skips', 'skipped parked events');
SELECT has_column('data', 'subscriptions', 'consumer_role', 'a subscription may be reserved for a role');
SELECT has_column('data', 'subscription_leases', 'claimed_by', 'a lease knows the role that claimed');
SELECT has_column('data', 'subscription_events', 'claimed_by', 'so does a delivery again');
SELECT col_is_pk('data', 'subscription_events', ARRAY['subscription_name', 'event_id']::name[], 'keyed by subscription and event');
SELECT throws_ok($$INSERT INTO data.subscriptions (subscription_name, lease) VALUES ('x', '0 seconds')$$, '23514', NULL,
                 'a lease of at least a second');
SELECT throws_ok($$INSERT INTO data.subscriptions (subscription_name, max_attempts) VALUES ('x', 0)$$, '23514', NULL,
                 'at least one attempt');
-- Nobody but the owner touches the tables: everything goes through api functions.
SELECT table_privs_are('data', 'subscription_events', 'eventstore_admin', ARRAY[]::text[]);
SELECT table_privs_are('data', 'subscriptions', 'eventstore_projector', ARRAY[]::text[]);

SELECT * FROM finish();
ROLLBACK;
