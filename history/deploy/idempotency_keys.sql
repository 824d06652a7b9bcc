-- Deploy eventstore:idempotency_keys to pg
-- requires: schemas
-- Idempotency keys in their own table, not in event metadata: the primary key makes a
-- second use of a key wait for the first and then find it (race-free, O(1)).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.idempotency_keys (
    idempotency_key uuid PRIMARY KEY,
    stream_type     text NOT NULL,
    stream_id       uuid NOT NULL,
    first_version   integer,
    new_version     integer,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);

CREATE INDEX idempotency_keys_created_idx ON data.idempotency_keys (created_at);

COMMENT ON TABLE data.idempotency_keys IS
    'Keys of api.append_events_idempotent, written in the same transaction as their events';
COMMENT ON COLUMN data.idempotency_keys.first_version IS 'Version of the first event the key appended';
COMMENT ON COLUMN data.idempotency_keys.new_version IS 'Stream version after the append, returned to retries';

COMMIT;
