-- Revert eventstore:event_streams from pg

BEGIN;

DROP TABLE data.event_streams;

COMMIT;
