-- Revert eventstore:generation_stamps from pg

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

ALTER TABLE data.store_generations DROP COLUMN server_started_at;

COMMIT;
