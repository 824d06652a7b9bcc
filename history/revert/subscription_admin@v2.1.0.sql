-- Revert eventstore:subscription_admin from pg

BEGIN;

DROP FUNCTION api.skip_parked(text, uuid);
DROP FUNCTION api.replay_parked(text, uuid);
DROP FUNCTION private.parked_event(text, uuid);
DROP FUNCTION api.reset_subscription(text, uuid);
DROP FUNCTION api.drop_subscription(text);
DROP FUNCTION api.create_subscription(text, text[], text[], boolean, integer, interval);
DROP FUNCTION private.check_event_exists(uuid);
DROP FUNCTION private.lock_subscription(text);
DROP FUNCTION private.raise_unknown_subscription(text);
DROP FUNCTION private.check_type_filter(text[], text);
DROP FUNCTION private.check_subscription_name(text, text);

COMMIT;
