-- Deploy eventstore:event_streams to pg
-- requires: schemas
-- One row per stream: its current version, and the lock every append takes. An append
-- touches the row with one statement (api.append_events), never once per event.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.event_streams (
    stream_type         text NOT NULL,
    stream_id           uuid NOT NULL,
    current_version     integer NOT NULL DEFAULT 0 CHECK (current_version >= 0),
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- Who wrote the stream last, for the per-stream order guard of api.append_events.
    last_generation     integer NOT NULL,
    last_transaction_id xid8 NOT NULL,

    PRIMARY KEY (stream_type, stream_id)
) WITH (fillfactor = 50);  -- room for HOT updates: the row is rewritten by every append

COMMENT ON TABLE data.event_streams IS 'Stream state: current version and the append lock';
COMMENT ON COLUMN data.event_streams.current_version IS 'Version of the last event of the stream';
COMMENT ON COLUMN data.event_streams.last_generation IS 'Generation of the last append';
COMMENT ON COLUMN data.event_streams.last_transaction_id IS 'Transaction of the last append';

COMMIT;
