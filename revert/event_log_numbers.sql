-- Revert eventstore:event_log_numbers from pg
-- The numbers go; the code before worked them out on every read, and gives the same ones.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (docs/operations.md)

ALTER TABLE data.events DROP COLUMN log_number;

COMMIT;
