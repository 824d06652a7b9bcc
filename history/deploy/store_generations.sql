-- Deploy eventstore:store_generations to pg
-- requires: schemas
-- Transaction ids belong to one cluster. After a dump and restore into another cluster the
-- stored transaction ids can be ahead of the new cluster's counter, so the log order
-- (transaction_id, global_position) would put new events before old ones and hide them
-- behind the read horizon. Each cluster that writes to the store starts a new generation;
-- the generation leads the log order, so every event of an older generation comes first.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.store_generations (
    generation        integer PRIMARY KEY CHECK (generation > 0),
    system_identifier bigint NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE data.store_generations IS
    'One row per cluster lifetime that wrote events; the newest row is the current generation';
COMMENT ON COLUMN data.store_generations.system_identifier IS
    'pg_control_system().system_identifier of the cluster that wrote this generation';

INSERT INTO data.store_generations (generation, system_identifier)
SELECT 1, s.system_identifier FROM pg_catalog.pg_control_system() AS s;

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

        INSERT INTO data.store_generations (generation, system_identifier)
        VALUES (COALESCE(l_row.generation, 0) + 1, l_system_identifier)
        ON CONFLICT (generation) DO NOTHING;
    END LOOP;
END;
$$;

-- The generation this cluster is writing: one row if the newest generation is this
-- cluster's, no row before its first write after a restore. Appends join it into their
-- stream statement (no separate query on the hot path).
CREATE VIEW private.current_generation AS
SELECT g.generation
FROM (SELECT x.generation, x.system_identifier
      FROM data.store_generations AS x
      ORDER BY x.generation DESC
      LIMIT 1) AS g
WHERE g.system_identifier = (SELECT c.system_identifier FROM pg_catalog.pg_control_system() AS c);

COMMENT ON VIEW private.current_generation IS
    'The generation this cluster writes; empty until its first write after a restore';

COMMENT ON FUNCTION private.writer_generation() IS
    'Generation of events written now; starts a new one on the first write in a new cluster';

REVOKE ALL ON FUNCTION private.writer_generation() FROM PUBLIC;

COMMIT;
