-- Revert eventstore:projections from pg

BEGIN;

DROP TABLE data.projection_skips;
DROP TABLE data.projection_checkpoints;
DROP TABLE data.projections;

COMMIT;
