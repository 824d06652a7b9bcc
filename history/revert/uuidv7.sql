-- Revert eventstore:uuidv7 from pg

BEGIN;

DROP FUNCTION private.uuidv7();

COMMIT;
