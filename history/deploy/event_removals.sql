-- Deploy eventstore:event_removals to pg
-- requires: events
-- requires: schemas
-- data.events is append-only (events_append_only). The only sanctioned removals of events
-- (api.purge_stream of a deleted stream; api.apply_retention of a stream type's events past
-- its retention) write an audit row here first, in the same transaction: the guard lets
-- through the deletes that row names, and nothing else. data.removed_events keeps where each
-- removed event was in the log order (no payload), so that a reader whose cursor is a removed
-- event continues from there (private.log_position).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.event_removals (
    removal_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('purge', 'retention')),
    stream_type    text NOT NULL,
    stream_id      uuid,         -- purge: the stream
    before         timestamptz,  -- retention: events created before this
    transaction_id xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    removed_by     name NOT NULL,
    removed_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    events_removed integer,
    CHECK (kind = 'purge' AND stream_id IS NOT NULL AND before IS NULL
           OR kind = 'retention' AND stream_id IS NULL AND before IS NOT NULL)
);

CREATE INDEX event_removals_transaction_idx ON data.event_removals (transaction_id);

COMMENT ON TABLE data.event_removals IS
    'Audit of every sanctioned removal of events (purge of a deleted stream, retention of a stream type): who, when, how many';

CREATE TABLE data.removed_events (
    id              uuid PRIMARY KEY,
    generation      integer NOT NULL,
    transaction_id  xid8 NOT NULL,
    global_position bigint NOT NULL,
    removal_id      bigint NOT NULL REFERENCES data.event_removals
);

CREATE INDEX removed_events_removal_idx ON data.removed_events (removal_id);

COMMENT ON TABLE data.removed_events IS
    'Where each removed event was in the log order: a cursor on it continues from there';

REVOKE ALL ON data.event_removals, data.removed_events FROM PUBLIC;

COMMIT;
