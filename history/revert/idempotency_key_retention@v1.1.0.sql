-- Revert eventstore:idempotency_key_retention from pg

BEGIN;

DROP FUNCTION api.purge_idempotency_keys(interval);

COMMIT;
