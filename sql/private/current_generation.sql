-- The generation this cluster is writing: one row if the newest generation is this
-- cluster's, no row before its first write after a restore. Appends join it into their
-- stream statement (no separate query on the hot path). Known by the stamp of the server
-- that confirmed it while that server runs (change generation_stamps), else by the system
-- identifier (private.confirm_generation, which stamps it for the appends after).

CREATE OR REPLACE VIEW private.current_generation AS
SELECT g.generation
FROM (SELECT x.generation, x.system_identifier, x.server_started_at
      FROM data.store_generations AS x
      ORDER BY x.generation DESC
      LIMIT 1) AS g
WHERE g.server_started_at = pg_catalog.pg_postmaster_start_time()
   OR private.confirm_generation(g.generation, g.system_identifier);

COMMENT ON VIEW private.current_generation IS 'The generation this cluster writes; empty until its first write after a restore';
