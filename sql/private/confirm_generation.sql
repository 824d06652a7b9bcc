-- Is in_generation, whose row names in_system_identifier, this cluster's? If it is, stamp the
-- row with this server's start time, so that appends until the server stops know it without
-- reading the control file (private.current_generation). An appender that finds the row
-- locked by another one stamping it does not wait: the other's stamp will do. Called by
-- appends only (it writes), in the statement that announces them.
-- No SET search_path (every name is qualified): it runs on the first appends after a start.

CREATE OR REPLACE FUNCTION private.confirm_generation(in_generation integer, in_system_identifier bigint)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
AS $$
BEGIN
    IF in_system_identifier IS DISTINCT FROM (SELECT c.system_identifier FROM pg_catalog.pg_control_system() AS c) THEN
        RETURN false;
    END IF;
    -- Only in READ COMMITTED: a REPEATABLE READ appender would get 40001 updating a row that
    -- another appender stamped since its snapshot. It reads the identifier; the next one stamps.
    IF pg_catalog.current_setting('transaction_isolation') = 'read committed' THEN
        UPDATE data.store_generations AS g
        SET server_started_at = pg_catalog.pg_postmaster_start_time()
        WHERE g.generation = (SELECT x.generation FROM data.store_generations AS x
                              WHERE x.generation = in_generation
                              FOR UPDATE SKIP LOCKED);
    END IF;
    RETURN true;
END;
$$;

COMMENT ON FUNCTION private.confirm_generation(in_generation integer, in_system_identifier bigint) IS 'Is this generation this cluster''s (by its system identifier)? Stamps it with the server''s start time if so';
REVOKE ALL ON FUNCTION private.confirm_generation(in_generation integer, in_system_identifier bigint) FROM PUBLIC;
