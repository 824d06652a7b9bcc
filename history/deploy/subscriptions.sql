-- Deploy eventstore:subscriptions to pg
-- requires: subscriptions@v2.1.0
-- Subscriptions with owners (the tables are subscriptions@v2.1.0's; README: Consumers):
--   * consumer_role: the role a subscription is reserved for (api.set_subscription_role); NULL
--     lets any eventstore_projector claim from it;
--   * claimed_by: the role whose claim leased an event; only that role (or an admin) may
--     acknowledge or give it back, whatever consumer name it uses;
--   * read_guard: a sequence of the subscription's own that counts claims which began to read
--     payloads and were cut off before they ended (a cancel, statement_timeout): sequences are
--     not transactional, so the count survives the rollback (change subscription_claims).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

ALTER TABLE data.subscriptions ADD COLUMN consumer_role name;
ALTER TABLE data.subscriptions ADD COLUMN read_guard regclass;
COMMENT ON COLUMN data.subscriptions.consumer_role IS
    'The only role (with admins) that may claim from the subscription; NULL: any eventstore_projector';
COMMENT ON COLUMN data.subscriptions.read_guard IS
    'Sequence counting this subscription''s claims cut off while reading payloads (not transactional: it survives their rollback)';

ALTER TABLE data.subscription_leases ADD COLUMN claimed_by name;
COMMENT ON COLUMN data.subscription_leases.claimed_by IS
    'The role that claimed: only it (or an admin) acknowledges or gives back these events';
ALTER TABLE data.subscription_events ADD COLUMN claimed_by name;
COMMENT ON COLUMN data.subscription_events.claimed_by IS
    'The role that claimed the event while it is in flight: only it (or an admin) acknowledges or gives it back';

COMMIT;
