-- The generation this cluster is writing: one row if the newest generation is this
-- cluster's, no row before its first write after a restore. Appends join it into their
-- stream statement (no separate query on the hot path).

CREATE OR REPLACE VIEW private.current_generation AS
SELECT g.generation
FROM (SELECT x.generation, x.system_identifier
      FROM data.store_generations AS x
      ORDER BY x.generation DESC
      LIMIT 1) AS g
WHERE g.system_identifier = (SELECT c.system_identifier FROM pg_catalog.pg_control_system() AS c);

COMMENT ON VIEW private.current_generation IS 'The generation this cluster writes; empty until its first write after a restore';
