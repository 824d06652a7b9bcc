-- Revert eventstore:projection_versions from pg
-- The versions that are not live go (their read models stay, as the application's tables);
-- the live version of each projection stays registered under its name.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DELETE FROM data.projections WHERE projection_name <> version_of;
SELECT private.drop_unused_invokers();

ALTER TABLE data.projection_skips
    DROP CONSTRAINT projection_skips_projection_name_fkey,
    ADD CONSTRAINT projection_skips_projection_name_fkey FOREIGN KEY (projection_name)
        REFERENCES data.projections (projection_name) ON DELETE CASCADE;
ALTER TABLE data.projection_checkpoints
    DROP CONSTRAINT projection_checkpoints_projection_name_fkey,
    ADD CONSTRAINT projection_checkpoints_projection_name_fkey FOREIGN KEY (projection_name)
        REFERENCES data.projections (projection_name) ON DELETE CASCADE;

ALTER TABLE data.projections
    DROP CONSTRAINT projections_version_key,
    DROP CONSTRAINT projections_version_name_check,
    DROP CONSTRAINT projections_version_check,
    DROP CONSTRAINT projections_projection_name_check,
    ADD CONSTRAINT projections_projection_name_check CHECK (projection_name ~ '^[a-z][a-z0-9_]{0,62}$'),
    DROP COLUMN replay_global_position,
    DROP COLUMN replay_transaction_id,
    DROP COLUMN replay_generation,
    DROP COLUMN version,
    DROP COLUMN version_of;

COMMENT ON COLUMN data.projections.projection_name IS NULL;

COMMIT;
