-- Revert eventstore:check_interval from pg

BEGIN;

DROP FUNCTION private.check_interval(interval, text, interval, interval);

COMMIT;
