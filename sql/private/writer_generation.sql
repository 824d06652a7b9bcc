-- The generation an append writes: the newest row when this cluster wrote it, else a new
-- row (first write after a restore). Concurrent first writers meet on the primary key.
-- No SET search_path (every name is qualified): it runs on every append.

CREATE OR REPLACE FUNCTION private.writer_generation()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    l_system_identifier bigint := (SELECT s.system_identifier FROM pg_catalog.pg_control_system() AS s);
    l_row record;
BEGIN
    LOOP
        SELECT g.generation, g.system_identifier INTO l_row
        FROM data.store_generations AS g
        ORDER BY g.generation DESC
        LIMIT 1;

        IF FOUND AND l_row.system_identifier = l_system_identifier THEN
            RETURN l_row.generation;
        END IF;

        INSERT INTO data.store_generations (generation, system_identifier, server_started_at)
        VALUES (COALESCE(l_row.generation, 0) + 1, l_system_identifier, pg_catalog.pg_postmaster_start_time())
        ON CONFLICT (generation) DO NOTHING;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.writer_generation() IS 'Generation of events written now; starts a new one on the first write in a new cluster';
REVOKE ALL ON FUNCTION private.writer_generation() FROM PUBLIC;
