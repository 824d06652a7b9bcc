-- Verify eventstore:projection_versions on pg

BEGIN;

SELECT version_of, version, replay_generation, replay_transaction_id, replay_global_position
FROM data.projections WHERE false;

ROLLBACK;
