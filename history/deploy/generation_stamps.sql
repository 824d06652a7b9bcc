-- Deploy eventstore:generation_stamps to pg
-- requires: store_generations
-- Which server confirmed the current generation is its own. An append must know that the
-- newest generation is this cluster's (its system identifier, which pg_control_system()
-- reads from the control file: 5 us and three system calls, a tenth of a one-event append
-- at 8 clients). The server that confirms it stamps the row with its start time; while that
-- server runs, an append compares the stamp with pg_postmaster_start_time() (shared memory)
-- instead. A restore or an upgrade always starts another server, whose start time is not
-- the stamp: it reads the identifier, as before. Only the bundle writes the stamp.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

ALTER TABLE data.store_generations ADD COLUMN server_started_at timestamptz;

COMMENT ON COLUMN data.store_generations.server_started_at IS
    'Start time of the server that last confirmed, by its system identifier, that it writes this generation';

COMMIT;
