-- Deploy eventstore:projections to pg
-- requires: schemas
-- Projections are registered, not hand-written loops: a definition row per projection
-- (data.projections) and its state (data.projection_checkpoints, the seed's table).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.projections (
    projection_name text PRIMARY KEY CHECK (projection_name ~ '^[a-z][a-z0-9_]{0,62}$'),
    -- FUNCTION (in_events data.events[]) RETURNS void: applies a batch, in log order, to the
    -- read model. Events it does not handle it simply ignores.
    handler         regprocedure NOT NULL,
    -- FUNCTION () RETURNS void: empties the read model before a rebuild.
    reset_handler   regprocedure,
    event_types     text[],   -- NULL: every event type
    stream_types    text[],   -- NULL: every stream type
    batch_size      integer NOT NULL DEFAULT 500 CHECK (batch_size BETWEEN 1 AND 100000),
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE data.projections IS 'Registered projections: handler, reset handler, filters';
COMMENT ON COLUMN data.projections.handler IS 'FUNCTION (data.events[]) RETURNS void applying a batch in log order';
COMMENT ON COLUMN data.projections.reset_handler IS 'FUNCTION () RETURNS void emptying the read model (rebuilds)';

-- Track projection positions
CREATE TABLE data.projection_checkpoints (
    projection_name text PRIMARY KEY REFERENCES data.projections ON DELETE CASCADE,
    last_event_id   uuid,
    last_processed  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    status          text NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'failed', 'paused', 'rebuilding')),
    error_message   text,
    -- Everything before this log position has been applied (see change log_order).
    generation      integer NOT NULL DEFAULT 0,
    transaction_id  xid8 NOT NULL DEFAULT '0',
    global_position bigint NOT NULL DEFAULT 0,
    failed_event_id uuid,
    failed_at       timestamptz,
    events_applied  bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);  -- rewritten by every batch: room for HOT updates

COMMENT ON TABLE data.projection_checkpoints IS 'Position and status of each projection';
COMMENT ON COLUMN data.projection_checkpoints.last_event_id IS 'The last event applied';
COMMENT ON COLUMN data.projection_checkpoints.status IS 'running | failed | paused | rebuilding';
COMMENT ON COLUMN data.projection_checkpoints.failed_event_id IS 'The event the handler failed on (status failed)';

CREATE TABLE data.projection_skips (
    projection_name text NOT NULL REFERENCES data.projections ON DELETE CASCADE,
    event_id        uuid NOT NULL,
    error_message   text,
    skipped_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    skipped_by      text NOT NULL DEFAULT session_user,
    PRIMARY KEY (projection_name, event_id)
);

COMMENT ON TABLE data.projection_skips IS 'Events deliberately skipped by api.resume_projection';

COMMIT;
