-- Revert eventstore:projection_runner from pg

BEGIN;

DROP FUNCTION api.run_projections(integer);
DROP FUNCTION api.run_projection(text, integer);
DROP PROCEDURE private.projection_worker(numeric);
DROP FUNCTION private.run_projection_batch(text, integer);
DROP FUNCTION private.raise_unknown_projection(text);

COMMIT;
