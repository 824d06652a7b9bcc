-- Revert eventstore:idempotency_keys from pg

BEGIN;

DROP TABLE data.idempotency_keys;

COMMIT;
