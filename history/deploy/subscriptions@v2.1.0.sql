-- Deploy eventstore:subscriptions to pg
-- requires: schemas
-- requires: roles
-- Subscriptions: named consumer groups over the gap-free log, for consumers outside the
-- database (README: Consumers). The tables only; the functions are subscription_admin,
-- subscription_claims and subscription_status. A subscription takes events in from the log
-- in log order (its cursor), hands them out under leases, and forgets an event once it is
-- acknowledged. What is taken in and not acknowledged is in one of two places:
--   * data.subscription_leases: a claim's first deliveries, one row per claim (the common
--     path writes one row per claim and deletes it with the acknowledgement, not one row
--     per event);
--   * data.subscription_events: one row per event that needs one: delivered again (after a
--     nack or an expired lease), waiting behind an earlier event of its stream, or parked.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.subscriptions (
    subscription_name text PRIMARY KEY
                      CHECK (subscription_name <> '' AND pg_catalog.char_length(subscription_name) <= 200),
    stream_types      text[],   -- NULL: every stream type
    event_types       text[],   -- NULL: every event type
    max_attempts      integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 1000),
    lease             interval NOT NULL DEFAULT '30 seconds'
                      CHECK (lease >= '1 second' AND lease <= '1 day'),
    -- Every event of the log before this position has been taken in (change log_order).
    generation        integer NOT NULL DEFAULT 0,
    transaction_id    xid8 NOT NULL DEFAULT '0',
    global_position   bigint NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by        text NOT NULL DEFAULT session_user,
    reset_at          timestamptz,
    reset_by          text
) WITH (fillfactor = 50);  -- the cursor moves with every claim: room for HOT updates

COMMENT ON TABLE data.subscriptions IS 'Subscriptions (consumer groups over the log) and their intake cursors';
COMMENT ON COLUMN data.subscriptions.lease IS 'How long a claimed event stays with its consumer before it counts as failed';
COMMENT ON COLUMN data.subscriptions.max_attempts IS 'Failed deliveries (nack or expired lease) after which an event is parked';

-- Where an event is in the log, and its stream.
CREATE TYPE private.subscription_event_ref AS (
    id              uuid,
    created_at      timestamptz,
    generation      integer,
    transaction_id  xid8,
    global_position bigint,
    stream_type     text,
    stream_id       uuid,
    version         integer
);

-- First deliveries: the events one claim took in from the log and leased to its consumer, in
-- log order; acknowledged events leave the array, the row goes with the last one. An expired
-- lease turns what is left into rows of data.subscription_events (a failed attempt each).
CREATE TABLE data.subscription_leases (
    subscription_name text NOT NULL REFERENCES data.subscriptions ON DELETE CASCADE,
    lease_id          bigint GENERATED ALWAYS AS IDENTITY,
    consumer          text NOT NULL,
    leased_at         timestamptz NOT NULL,
    leased_until      timestamptz NOT NULL,
    events            private.subscription_event_ref[] NOT NULL,
    PRIMARY KEY (subscription_name, lease_id)
);

-- Written once, read whole, never searched: no compression to pay for on every claim.
ALTER TABLE data.subscription_leases ALTER COLUMN events SET STORAGE EXTERNAL;

CREATE INDEX subscription_leases_consumer_idx ON data.subscription_leases (subscription_name, consumer);

COMMENT ON TABLE data.subscription_leases IS
    'First deliveries of a subscription, one row per claim: the events leased to a consumer and not acknowledged yet';

CREATE TABLE data.subscription_events (
    subscription_name text NOT NULL REFERENCES data.subscriptions ON DELETE CASCADE,
    event_id          uuid NOT NULL,
    event_created_at  timestamptz NOT NULL,  -- with event_id the key of data.events
    generation        integer NOT NULL,
    transaction_id    xid8 NOT NULL,
    global_position   bigint NOT NULL,
    stream_type       text NOT NULL,
    stream_id         uuid NOT NULL,
    version           integer NOT NULL,
    attempts          integer NOT NULL DEFAULT 0,  -- deliveries so far
    consumer          text,          -- in flight with this consumer until leased_until
    leased_at         timestamptz,
    leased_until      timestamptz,
    last_error        text,
    parked_at         timestamptz,   -- parked: failed max_attempts times; holds its stream back
    PRIMARY KEY (subscription_name, event_id),
    CHECK ((consumer IS NULL) = (leased_until IS NULL)),
    CHECK (parked_at IS NULL OR consumer IS NULL)
);

-- Waiting events in log order (the next to hand out).
CREATE INDEX subscription_events_waiting_idx
    ON data.subscription_events (subscription_name, generation, transaction_id, global_position)
    WHERE consumer IS NULL AND parked_at IS NULL;
-- Is a stream busy (an event in flight, parked or waiting)?
CREATE INDEX subscription_events_stream_idx
    ON data.subscription_events (subscription_name, stream_type, stream_id, version);
-- Leases to expire.
CREATE INDEX subscription_events_lease_idx
    ON data.subscription_events (subscription_name, leased_until) WHERE consumer IS NOT NULL;
CREATE INDEX subscription_events_parked_idx
    ON data.subscription_events (subscription_name, parked_at) WHERE parked_at IS NOT NULL;

COMMENT ON TABLE data.subscription_events IS
    'Events of a subscription delivered again, waiting behind an earlier event of their stream, or parked';

CREATE TABLE data.subscription_consumers (
    subscription_name text NOT NULL REFERENCES data.subscriptions ON DELETE CASCADE,
    consumer          text NOT NULL,
    first_claim_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_claim_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),  -- to a tenth of the lease
    PRIMARY KEY (subscription_name, consumer)
) WITH (fillfactor = 50);

COMMENT ON TABLE data.subscription_consumers IS
    'Who claims from a subscription: a consumer is a member while it claims at least once per lease';

CREATE TABLE data.subscription_skips (
    subscription_name text NOT NULL REFERENCES data.subscriptions ON DELETE CASCADE,
    event_id          uuid NOT NULL,
    stream_type       text NOT NULL,
    stream_id         uuid NOT NULL,
    version           integer NOT NULL,
    attempts          integer NOT NULL,
    last_error        text,
    skipped_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    skipped_by        text NOT NULL DEFAULT session_user,
    PRIMARY KEY (subscription_name, event_id)
);

COMMENT ON TABLE data.subscription_skips IS
    'Parked events an admin stepped past (api.skip_parked); never delivered again, resets included';

COMMIT;
