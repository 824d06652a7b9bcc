-- Revert eventstore:store_generations from pg

BEGIN;

DROP VIEW private.current_generation;
DROP FUNCTION private.writer_generation();
DROP TABLE data.store_generations;

COMMIT;
