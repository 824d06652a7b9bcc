-- Revert eventstore:event_log_numbers_wiring from pg

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (docs/operations.md)

DROP TRIGGER events_number ON data.events;

COMMIT;
