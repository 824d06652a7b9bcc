-- Deploy eventstore:projection_versions to pg
-- requires: projections
-- Versions of a projection. A new version (its own handler, its own read model) is a row of
-- data.projections with a checkpoint of its own, caught up by the same runner beside the live
-- version; promoting it makes it the live one in one transaction. The live version holds the
-- projection's name; another version runs as "name@N" (what pause, resume, reset and
-- run_projection take for it). Promotion swaps the names: the checkpoint and the recorded
-- skips follow their row (ON UPDATE CASCADE). The replay mark is how far earlier versions
-- (or this one, before a reset) have acted on the log: a handler applying an event at or
-- below it is replaying (api.projection_replaying()) and sends nothing again.
-- Every projection registered before this change is its own version 1, live.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

ALTER TABLE data.projections
    ADD COLUMN version_of text,
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN replay_generation integer NOT NULL DEFAULT 0,
    ADD COLUMN replay_transaction_id xid8 NOT NULL DEFAULT '0',
    ADD COLUMN replay_global_position bigint NOT NULL DEFAULT 0;

UPDATE data.projections SET version_of = projection_name;

-- The registration tables hold a row per projection (a handful): the scans and locks of
-- these constraints last microseconds.
-- squawk-ignore-file adding-not-nullable-field, ban-drop-constraint, constraint-missing-not-valid, disallowed-unique-constraint, adding-foreign-key-constraint
ALTER TABLE data.projections
    ALTER COLUMN version_of SET NOT NULL,
    DROP CONSTRAINT projections_projection_name_check,
    ADD CONSTRAINT projections_projection_name_check
        CHECK (projection_name ~ '^[a-z][a-z0-9_]{0,62}(@[1-9][0-9]{0,8})?$'),
    ADD CONSTRAINT projections_version_check CHECK (version > 0),
    ADD CONSTRAINT projections_version_name_check
        CHECK (projection_name = version_of OR projection_name = version_of || '@' || version::text),
    ADD CONSTRAINT projections_version_key UNIQUE (version_of, version);

ALTER TABLE data.projection_checkpoints
    DROP CONSTRAINT projection_checkpoints_projection_name_fkey,
    ADD CONSTRAINT projection_checkpoints_projection_name_fkey FOREIGN KEY (projection_name)
        REFERENCES data.projections (projection_name) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE data.projection_skips
    DROP CONSTRAINT projection_skips_projection_name_fkey,
    ADD CONSTRAINT projection_skips_projection_name_fkey FOREIGN KEY (projection_name)
        REFERENCES data.projections (projection_name) ON UPDATE CASCADE ON DELETE CASCADE;

COMMENT ON COLUMN data.projections.projection_name IS
    'The live version: the projection''s name; another version: name@version';
COMMENT ON COLUMN data.projections.version_of IS 'The projection this row is a version of (its name)';
COMMENT ON COLUMN data.projections.version IS 'The version number (the first registration is 1)';
COMMENT ON COLUMN data.projections.replay_generation IS
    'Replay mark (with replay_transaction_id, replay_global_position): events at or below it were acted on by an earlier live version or before a reset';

COMMIT;
