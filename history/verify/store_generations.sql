-- Verify eventstore:store_generations on pg

BEGIN;

SELECT generation, system_identifier, started_at FROM data.store_generations WHERE false;
SELECT generation FROM private.current_generation WHERE false;
SELECT 'private.writer_generation()'::pg_catalog.regprocedure;

ROLLBACK;
