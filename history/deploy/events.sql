-- Deploy eventstore:events to pg
-- requires: schemas
-- requires: uuidv7
-- requires: store_generations
-- The append-only event log, partitioned by month on created_at. Partitions for months are
-- created ahead by api.ensure_event_partitions (change event_partitions); the DEFAULT
-- partition takes whatever falls outside them, so an insert never fails for want of one.
--
-- A unique (stream_type, stream_id, version) is impossible on a partitioned table (it
-- would have to include created_at); uniqueness of versions comes from the stream row lock
-- in data.event_streams that every append takes (change append_events).
--
-- Global order: readers of the whole log order by (generation, transaction_id,
-- global_position) and return only events of transactions older than every transaction
-- still running, so an event that commits late is never skipped (change log_order).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE SEQUENCE data.events_global_position_seq AS bigint;

CREATE TABLE data.events (
    id              uuid NOT NULL DEFAULT private.uuidv7(),
    stream_type     text NOT NULL CHECK (stream_type <> ''),
    stream_id       uuid NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    event_type      text NOT NULL CHECK (event_type <> ''),
    event_data      jsonb NOT NULL CHECK (pg_catalog.jsonb_typeof(event_data) = 'object'),
    metadata        jsonb NOT NULL DEFAULT '{}' CHECK (pg_catalog.jsonb_typeof(metadata) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    global_position bigint NOT NULL
                    DEFAULT pg_catalog.nextval('data.events_global_position_seq'::pg_catalog.regclass),
    transaction_id  xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    generation      integer NOT NULL DEFAULT private.writer_generation(),
    schema_version  integer NOT NULL DEFAULT 1 CHECK (schema_version > 0),

    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

ALTER SEQUENCE data.events_global_position_seq OWNED BY data.events.global_position;

CREATE TABLE data.events_default PARTITION OF data.events DEFAULT;

-- Stream reads (api.get_events) and the loader.
CREATE INDEX events_stream_idx ON data.events (stream_type, stream_id, version);
-- Reads by type in log order (api.get_events_by_type).
CREATE INDEX events_type_idx ON data.events (event_type, generation, transaction_id, global_position);
CREATE INDEX events_created_idx ON data.events (created_at);
-- The global log order (api.get_all_events, projections).
CREATE INDEX events_log_idx ON data.events (generation, transaction_id, global_position);
-- The seed's events_id_idx (id) is the primary key's index: (id, created_at) leads with id.

COMMENT ON TABLE data.events IS 'Append-only event store';
COMMENT ON COLUMN data.events.id IS 'Event id (UUID v7); with created_at the primary key';
COMMENT ON COLUMN data.events.stream_type IS 'Aggregate type, e.g. Order, Customer';
COMMENT ON COLUMN data.events.stream_id IS 'Aggregate id';
COMMENT ON COLUMN data.events.version IS 'Sequence within the stream, 1, 2, 3 ... without gaps';
COMMENT ON COLUMN data.events.event_type IS 'Past-tense event name, e.g. OrderCreated';
COMMENT ON COLUMN data.events.event_data IS 'Payload (a JSON object), as written; readers upcast it';
COMMENT ON COLUMN data.events.metadata IS 'correlation_id, causation_id, user_id, source, ... (a JSON object)';
COMMENT ON COLUMN data.events.global_position IS 'Order of events within one transaction';
COMMENT ON COLUMN data.events.transaction_id IS 'Writing transaction; leads the log order after generation';
COMMENT ON COLUMN data.events.generation IS 'Cluster lifetime that wrote the event (data.store_generations)';
COMMENT ON COLUMN data.events.schema_version IS 'Version of the payload schema the event was written with';

COMMIT;
