-- Revert eventstore:events from pg

BEGIN;

DROP TABLE data.events;

COMMIT;
