-- Revert eventstore:projection_status from pg

BEGIN;

DROP VIEW api.projection_status;
DROP FUNCTION private.projection_status();

COMMIT;
