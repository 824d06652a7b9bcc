-- Deploy eventstore:tracking to pg
-- requires: schemas
-- data.tracking: how far a consumer outside the store's own runners (an eventsourcing process
-- application, a follower of the log numbers) has processed a log, recorded in the same
-- transaction as what it wrote (api.record_tracking). One row per consumer and upstream: the
-- position only grows, and only the role that first recorded it (or an admin) moves it.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.tracking (
    tracker     text NOT NULL CHECK (tracker <> '' AND pg_catalog.char_length(tracker) <= 200),
    upstream    text NOT NULL CHECK (upstream <> '' AND pg_catalog.char_length(upstream) <= 200),
    position    numeric NOT NULL CHECK (position >= 0 AND position = pg_catalog.trunc(position)),
    owner       name NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (tracker, upstream)
);
REVOKE ALL ON data.tracking FROM PUBLIC;
COMMENT ON TABLE data.tracking IS
    'How far each consumer (tracker) has processed each log it follows (upstream): a log number that only grows, moved by its owner role';

COMMIT;
