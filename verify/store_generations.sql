-- Verify eventstore:store_generations on pg

BEGIN;

SELECT generation, system_identifier, started_at FROM data.store_generations WHERE false;
SELECT generation FROM private.current_generation WHERE false;

DO $$
BEGIN
    ASSERT private.writer_generation() = (SELECT max(generation) FROM data.store_generations),
        'this cluster writes the newest generation';
END
$$;

ROLLBACK;
