-- Deploy eventstore:subscriptions to pg
-- requires: schemas
-- requires: roles
-- Subscriptions: named consumer groups over the gap-free log, for consumers outside the
-- database (README: Consumers). The tables only; the functions are subscription_admin,
-- subscription_claims and subscription_status. A subscription takes events in from the log
-- in log order (its cursor), hands them out under leases, and forgets an event once it is
-- acknowledged: data.subscription_events holds only what is taken in and not acknowledged
-- (in flight, waiting behind an earlier event of its stream, or parked).

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
CREATE INDEX subscription_events_log_idx
    ON data.subscription_events (subscription_name, generation, transaction_id, global_position);
-- Is a stream busy (an event in flight, parked or waiting)?
CREATE INDEX subscription_events_stream_idx
    ON data.subscription_events (subscription_name, stream_type, stream_id, version);
-- Leases to expire.
CREATE INDEX subscription_events_lease_idx
    ON data.subscription_events (subscription_name, leased_until) WHERE consumer IS NOT NULL;
CREATE INDEX subscription_events_parked_idx
    ON data.subscription_events (subscription_name, parked_at) WHERE parked_at IS NOT NULL;

COMMENT ON TABLE data.subscription_events IS
    'Events a subscription has taken in and not had acknowledged: in flight, waiting behind their stream, or parked';

CREATE TABLE data.subscription_consumers (
    subscription_name text NOT NULL REFERENCES data.subscriptions ON DELETE CASCADE,
    consumer          text NOT NULL,
    first_claim_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_claim_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    events_claimed    bigint NOT NULL DEFAULT 0,
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
