-- Revert eventstore:store_generations from pg

BEGIN;

DROP FUNCTION private.writer_generation();
DROP TABLE data.store_generations;

COMMIT;
