-- Revert eventstore:schemas from pg

BEGIN;

DROP SCHEMA api;
DROP SCHEMA private;
DROP SCHEMA data;

COMMIT;
