-- Deploy eventstore:tracking to pg
-- requires: schemas
-- data.tracking: how far a consumer outside the store's own runners (an eventsourcing process
-- application, a follower of the log numbers) has processed a log, recorded in the same
-- transaction as what it wrote (api.record_tracking). One row per consumer and upstream: the
-- position only grows. data.tracker_roles: trackers an admin reserved for a role
-- (api.set_tracker_role): only its members move them; a tracker nobody reserved is moved by the
-- role that first recorded it.

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

CREATE TABLE data.tracker_roles (
    tracker       text PRIMARY KEY CHECK (tracker <> '' AND pg_catalog.char_length(tracker) <= 200),
    consumer_role name NOT NULL
);
REVOKE ALL ON data.tracker_roles FROM PUBLIC;
COMMENT ON TABLE data.tracker_roles IS
    'Trackers reserved for a role by an admin (api.set_tracker_role): only members of consumer_role (and admins) record them';

COMMIT;
