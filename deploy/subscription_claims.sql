-- Deploy eventstore:subscription_claims to pg
-- requires: subscription_admin
-- requires: subscriptions
-- requires: log_order
-- requires: event_upcasters
-- requires: roles
-- Consumers claim events of a subscription under a lease, acknowledge them, or give them
-- back (README: Consumers). Guarantees and why they hold:
--   * at-least-once, gap-free: a claim takes events in from the log in log order up to the
--     read horizon (private.read_horizon, in a statement before the read, as every whole-log
--     reader), so an event of a transaction that commits late is taken in, never passed; an
--     event leaves data.subscription_events only by its acknowledgement (or an admin's skip).
--   * per-stream order: an event is handed out only while no other event of its stream is
--     in flight or parked (waiting events of a stream go out in version order, which is their
--     log order: appends keep a stream's versions in log order, change append_events).
--   * a crashed consumer: its leases expire; an expired lease is a failed attempt, so a
--     poison event that kills every consumer is parked after max_attempts deliveries.
-- Claims of one subscription take its row lock, one after the other (a claim is short: it
-- moves leases, never waits on a consumer); acknowledgements take no subscription lock.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TYPE private.subscription_delivery AS (
    id          uuid,
    stream_type text,
    stream_id   uuid,
    version     integer,
    event_type  text,
    event_data  jsonb,
    metadata    jsonb,
    created_at  timestamptz,
    attempt     integer
);

-- Where events are, not what they say (nothing upcast, nothing that can fail): the events
-- after a log position up to the horizon, in log order, optionally of some types only.
CREATE OR REPLACE FUNCTION private.log_positions(
    in_after_generation integer,
    in_after_transaction_id xid8,
    in_after_global_position bigint,
    in_limit integer,
    in_event_types text[],
    in_stream_types text[],
    in_horizon_generation integer,
    in_horizon_transaction_id xid8)
RETURNS TABLE (id uuid, created_at timestamptz, generation integer, transaction_id xid8,
               global_position bigint, stream_type text, stream_id uuid, version integer)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET enable_sort = off  -- an ordered Merge Append of the partitions' indexes (see private.log_events)
AS $$
BEGIN
    RETURN QUERY
    SELECT e.id, e.created_at, e.generation, e.transaction_id, e.global_position,
           e.stream_type, e.stream_id, e.version
    FROM data.events AS e
    WHERE (e.generation, e.transaction_id, e.global_position)
          > (in_after_generation, in_after_transaction_id, in_after_global_position)
      AND (e.generation, e.transaction_id) < (in_horizon_generation, in_horizon_transaction_id)
      AND (in_event_types IS NULL OR e.event_type = ANY (in_event_types))
      AND (in_stream_types IS NULL OR e.stream_type = ANY (in_stream_types))
    ORDER BY e.generation, e.transaction_id, e.global_position
    LIMIT in_limit;
END;
$$;

-- The deliveries of leased events, read one by one: an event that cannot be read (its
-- upcaster fails) is parked with the error (its stream waits behind it; an admin replays it
-- after fixing the upcaster, or skips it), and later events of its stream in this claim go
-- back to waiting. Only called when reading them all at once failed.
CREATE OR REPLACE FUNCTION private.read_deliveries_one_by_one(
    in_subscription text, in_ids uuid[], in_created timestamptz[], in_attempts integer[])
RETURNS private.subscription_delivery[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_result private.subscription_delivery[] := '{}';
    l_delivery private.subscription_delivery;
    l_blocked text[] := '{}';
    l_item record;
    l_sqlstate text;
    l_message text;
BEGIN
    FOR l_item IN
        SELECT d.id, d.created_at, d.attempt, e.stream_type || '/' || e.stream_id::text AS stream
        FROM ROWS FROM (pg_catalog.unnest(in_ids), pg_catalog.unnest(in_created), pg_catalog.unnest(in_attempts)) WITH ORDINALITY AS d(id, created_at, attempt, ord)
        JOIN data.events AS e ON e.id = d.id AND e.created_at = d.created_at
        ORDER BY d.ord
    LOOP
        IF l_item.stream = ANY (l_blocked) THEN
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, attempts = se.attempts - 1
            WHERE se.subscription_name = in_subscription AND se.event_id = l_item.id;
            CONTINUE;
        END IF;
        BEGIN
            SELECT u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata,
                   u.created_at, l_item.attempt
            INTO STRICT l_delivery
            FROM private.events_upcast AS u
            WHERE u.id = l_item.id AND u.created_at = l_item.created_at;
            l_result := l_result || l_delivery;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, parked_at = pg_catalog.clock_timestamp(),
                last_error = pg_catalog.left('unreadable: ' || l_sqlstate || ': ' || l_message, 2000)
            WHERE se.subscription_name = in_subscription AND se.event_id = l_item.id;
            l_blocked := l_blocked || l_item.stream;
        END;
    END LOOP;
    RETURN l_result;
END;
$$;

CREATE OR REPLACE FUNCTION api.claim_events(
    in_subscription text,
    in_consumer text,
    in_limit integer DEFAULT 100)
RETURNS TABLE (
    id uuid,
    stream_type text,
    stream_id uuid,
    version integer,
    event_type text,
    event_data jsonb,
    metadata jsonb,
    created_at timestamptz,
    attempt integer
)
LANGUAGE plpgsql
VOLATILE  -- its intake needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_now timestamptz := pg_catalog.clock_timestamp();
    l_subscription data.subscriptions;
    l_ids uuid[];
    l_created timestamptz[];
    l_attempts integer[];
    l_new_ids uuid[];
    l_new_created timestamptz[];
    l_read integer;
    l_last_generation integer;
    l_last_transaction_id xid8;
    l_last_global_position bigint;
    l_horizon record;
    l_deliveries private.subscription_delivery[];
BEGIN
    PERFORM private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_limit IS NULL OR in_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'in_limit must be between 1 and 10000, got %', COALESCE(in_limit::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    l_subscription := private.lock_subscription(in_subscription);

    -- 1. Expired leases are failed attempts: the event waits again, or is parked.
    UPDATE data.subscription_events AS se
    SET consumer = NULL, leased_at = NULL, leased_until = NULL,
        last_error = pg_catalog.format('the lease of consumer %s expired (attempt %s)',
                                       pg_catalog.left(se.consumer, 200), se.attempts),
        parked_at = CASE WHEN se.attempts >= l_subscription.max_attempts THEN l_now END
    WHERE se.subscription_name = in_subscription
      AND se.consumer IS NOT NULL
      AND se.leased_until <= l_now;

    -- 2. Waiting events of streams with nothing in flight or parked, in log order.
    WITH busy AS MATERIALIZED (
        SELECT DISTINCT b.stream_type, b.stream_id
        FROM data.subscription_events AS b
        WHERE b.subscription_name = in_subscription
          AND (b.consumer IS NOT NULL OR b.parked_at IS NOT NULL)),
    picked AS (
        SELECT w.event_id
        FROM data.subscription_events AS w
        WHERE w.subscription_name = in_subscription
          AND w.consumer IS NULL AND w.parked_at IS NULL
          AND NOT EXISTS (SELECT FROM busy AS b WHERE b.stream_type = w.stream_type AND b.stream_id = w.stream_id)
        ORDER BY w.generation, w.transaction_id, w.global_position
        LIMIT in_limit),
    leased AS (
        UPDATE data.subscription_events AS se
        SET consumer = in_consumer, leased_at = l_now, leased_until = l_now + l_subscription.lease,
            attempts = se.attempts + 1
        FROM picked AS p
        WHERE se.subscription_name = in_subscription AND se.event_id = p.event_id
        RETURNING se.event_id, se.event_created_at, se.attempts, se.generation, se.transaction_id, se.global_position)
    SELECT pg_catalog.array_agg(l.event_id ORDER BY l.generation, l.transaction_id, l.global_position),
           pg_catalog.array_agg(l.event_created_at ORDER BY l.generation, l.transaction_id, l.global_position),
           pg_catalog.array_agg(l.attempts ORDER BY l.generation, l.transaction_id, l.global_position)
    INTO l_ids, l_created, l_attempts
    FROM leased AS l;
    l_ids := COALESCE(l_ids, '{}');
    l_created := COALESCE(l_created, '{}');
    l_attempts := COALESCE(l_attempts, '{}');

    -- 3. Room left: take new events in from the log. The horizon first, then (a later
    -- statement, a later snapshot) the events before it. An event of a busy stream waits;
    -- the others go to this consumer (several of one stream in version order).
    IF pg_catalog.cardinality(l_ids) < in_limit THEN
        l_horizon := private.read_horizon();
        WITH fresh AS MATERIALIZED (
            SELECT f.*, pg_catalog.row_number() OVER () AS ord
            FROM private.log_positions(l_subscription.generation, l_subscription.transaction_id,
                                       l_subscription.global_position, in_limit - pg_catalog.cardinality(l_ids),
                                       l_subscription.event_types, l_subscription.stream_types,
                                       l_horizon.generation, l_horizon.transaction_id) AS f),
        taken AS (
            INSERT INTO data.subscription_events AS se
                (subscription_name, event_id, event_created_at, generation, transaction_id, global_position,
                 stream_type, stream_id, version, attempts, consumer, leased_at, leased_until)
            SELECT in_subscription, f.id, f.created_at, f.generation, f.transaction_id, f.global_position,
                   f.stream_type, f.stream_id, f.version,
                   CASE WHEN b.busy THEN 0 ELSE 1 END,
                   CASE WHEN b.busy THEN NULL ELSE in_consumer END,
                   CASE WHEN b.busy THEN NULL ELSE l_now END,
                   CASE WHEN b.busy THEN NULL ELSE l_now + l_subscription.lease END
            FROM fresh AS f
            CROSS JOIN LATERAL (
                SELECT EXISTS (SELECT FROM data.subscription_events AS x
                               WHERE x.subscription_name = in_subscription
                                 AND x.stream_type = f.stream_type AND x.stream_id = f.stream_id) AS busy) AS b
            WHERE NOT EXISTS (SELECT FROM data.subscription_skips AS k
                              WHERE k.subscription_name = in_subscription AND k.event_id = f.id)
            RETURNING se.event_id, se.event_created_at, se.consumer, se.generation, se.transaction_id,
                      se.global_position)
        SELECT (SELECT count(*) FROM fresh),
               (SELECT f.generation FROM fresh AS f ORDER BY f.ord DESC LIMIT 1),
               (SELECT f.transaction_id FROM fresh AS f ORDER BY f.ord DESC LIMIT 1),
               (SELECT f.global_position FROM fresh AS f ORDER BY f.ord DESC LIMIT 1),
               (SELECT pg_catalog.array_agg(t.event_id ORDER BY t.generation, t.transaction_id, t.global_position)
                FROM taken AS t WHERE t.consumer IS NOT NULL),
               (SELECT pg_catalog.array_agg(t.event_created_at ORDER BY t.generation, t.transaction_id, t.global_position)
                FROM taken AS t WHERE t.consumer IS NOT NULL)
        INTO l_read, l_last_generation, l_last_transaction_id, l_last_global_position, l_new_ids, l_new_created;

        -- The cursor: past the last event read; past everything before the horizon if the
        -- read ended before the limit (all of it was read). Never backwards (the horizon of
        -- a conservative read can be lower than an earlier one).
        IF l_read < in_limit - pg_catalog.cardinality(l_ids) THEN
            l_last_generation := l_horizon.generation;
            l_last_transaction_id := l_horizon.transaction_id;
            l_last_global_position := -1;
        END IF;
        IF l_last_generation IS NOT NULL THEN
            UPDATE data.subscriptions AS s
            SET generation = l_last_generation, transaction_id = l_last_transaction_id,
                global_position = l_last_global_position
            WHERE s.subscription_name = in_subscription
              AND (s.generation, s.transaction_id, s.global_position)
                  < (l_last_generation, l_last_transaction_id, l_last_global_position);
        END IF;

        l_ids := l_ids || COALESCE(l_new_ids, '{}');
        l_created := l_created || COALESCE(l_new_created, '{}');
        l_attempts := l_attempts || pg_catalog.array_fill(1, ARRAY[pg_catalog.cardinality(COALESCE(l_new_ids, '{}'))]);
    END IF;

    INSERT INTO data.subscription_consumers AS m
        (subscription_name, consumer, first_claim_at, last_claim_at, events_claimed)
    VALUES (in_subscription, in_consumer, l_now, l_now, pg_catalog.cardinality(l_ids))
    ON CONFLICT (subscription_name, consumer) DO UPDATE
        SET last_claim_at = excluded.last_claim_at,
            events_claimed = m.events_claimed + excluded.events_claimed;
    -- Members that stopped claiming long ago are forgotten.
    DELETE FROM data.subscription_consumers AS m
    WHERE m.subscription_name = in_subscription
      AND m.last_claim_at < l_now - GREATEST(l_subscription.lease * 10, interval '1 hour');

    -- 4. What the consumer gets: the events as every reader reads them (upcast).
    BEGIN
        l_deliveries := ARRAY(
            SELECT ROW(u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata,
                       u.created_at, d.attempt)::private.subscription_delivery
            FROM ROWS FROM (pg_catalog.unnest(l_ids), pg_catalog.unnest(l_created), pg_catalog.unnest(l_attempts)) WITH ORDINALITY AS d(id, created_at, attempt, ord)
            JOIN private.events_upcast AS u ON u.id = d.id AND u.created_at = d.created_at
            ORDER BY d.ord);
    EXCEPTION WHEN OTHERS THEN
        l_deliveries := private.read_deliveries_one_by_one(in_subscription, l_ids, l_created, l_attempts);
    END;

    RETURN QUERY SELECT d.* FROM pg_catalog.unnest(l_deliveries) AS d;
END;
$$;

COMMENT ON FUNCTION api.claim_events(text, text, integer) IS
$$Up to in_limit events of the subscription, leased to in_consumer (a name the consumer
chooses) until now + the subscription's lease, in log order, payloads upcast. attempt is 1 on
the first delivery. No event is handed out while another event of its stream is in flight or
parked. Call it in a transaction of its own (autocommit): claims of one subscription queue on
its row. Errors: ZE003 bad argument (in_limit 1..10000), ZE013 unknown subscription.$$;

CREATE OR REPLACE FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_acked uuid[];
    l_unknown uuid;
BEGIN
    PERFORM private.check_subscription_name(in_subscription, 'in_subscription'),
            private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_event_ids IS NULL OR pg_catalog.array_position(in_event_ids, NULL) IS NOT NULL
       OR pg_catalog.cardinality(in_event_ids) > 10000 THEN
        RAISE EXCEPTION 'in_event_ids must be an array of at most 10000 event ids without NULLs'
            USING ERRCODE = 'ZE003';
    END IF;
    IF NOT EXISTS (SELECT FROM data.subscriptions AS s WHERE s.subscription_name = in_subscription) THEN
        PERFORM private.raise_unknown_subscription(in_subscription);
    END IF;

    WITH acked AS (
        DELETE FROM data.subscription_events AS se
        WHERE se.subscription_name = in_subscription
          AND se.event_id = ANY (in_event_ids)
          AND se.consumer = in_consumer
          AND se.leased_until > pg_catalog.clock_timestamp()
        RETURNING se.event_id)
    SELECT COALESCE(pg_catalog.array_agg(a.event_id), '{}') INTO l_acked FROM acked AS a;

    -- An id that names no event at all is a mistake, not a late ack: nothing is acknowledged.
    IF pg_catalog.cardinality(l_acked) < pg_catalog.cardinality(in_event_ids) THEN
        SELECT i.id INTO l_unknown
        FROM pg_catalog.unnest(in_event_ids) AS i(id)
        WHERE i.id <> ALL (l_acked)
          AND NOT EXISTS (SELECT FROM data.subscription_events AS se
                          WHERE se.subscription_name = in_subscription AND se.event_id = i.id)
          AND NOT EXISTS (SELECT FROM data.events AS e WHERE e.id = i.id)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'no event has id %', l_unknown
                USING ERRCODE = 'ZE004', DETAIL = 'Nothing was acknowledged.';
        END IF;
    END IF;
    RETURN pg_catalog.cardinality(l_acked);
END;
$$;

COMMENT ON FUNCTION api.ack_events(text, text, uuid[]) IS
$$Acknowledges events leased to in_consumer: they are never delivered again (until a reset).
Returns how many were acknowledged; an event whose lease expired (it may have gone to another
consumer), or that is not leased to in_consumer, is not. Errors: ZE003 bad argument, ZE004 an
id that names no event (then nothing is acknowledged), ZE013 unknown subscription.$$;

CREATE OR REPLACE FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_max_attempts integer;
    l_event record;
BEGIN
    PERFORM private.check_subscription_name(in_subscription, 'in_subscription'),
            private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_event_id IS NULL THEN
        RAISE EXCEPTION 'in_event_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    SELECT s.max_attempts INTO l_max_attempts FROM data.subscriptions AS s WHERE s.subscription_name = in_subscription;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_subscription(in_subscription);
    END IF;

    UPDATE data.subscription_events AS se
    SET consumer = NULL, leased_at = NULL, leased_until = NULL,
        last_error = pg_catalog.left(COALESCE(in_error, '(no error given)'), 2000),
        parked_at = CASE WHEN se.attempts >= l_max_attempts THEN pg_catalog.clock_timestamp() END
    WHERE se.subscription_name = in_subscription
      AND se.event_id = in_event_id
      AND se.consumer = in_consumer
      AND se.leased_until > pg_catalog.clock_timestamp()
    RETURNING se.stream_type, se.stream_id, se.version INTO l_event;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT FROM data.subscription_events AS se
                       WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id) THEN
            PERFORM private.check_event_exists(in_event_id);
        END IF;
        RETURN false;
    END IF;
    -- Later events of its stream this consumer holds cannot go before it: they wait again
    -- (not a failed attempt of theirs).
    UPDATE data.subscription_events AS se
    SET consumer = NULL, leased_at = NULL, leased_until = NULL, attempts = se.attempts - 1
    WHERE se.subscription_name = in_subscription
      AND se.stream_type = l_event.stream_type AND se.stream_id = l_event.stream_id
      AND se.version > l_event.version
      AND se.consumer = in_consumer;
    RETURN true;
END;
$$;

COMMENT ON FUNCTION api.nack_event(text, text, uuid, text) IS
$$Gives an event leased to in_consumer back now, a failed attempt with in_error (kept, at most
2000 characters): delivered again, or parked once it has failed max_attempts times (its stream
then waits; the others flow on). Later events of its stream leased to in_consumer are given back
too (without counting an attempt): the consumer must not handle them before this one.
Returns false if the event was not leased to in_consumer (any more). Errors: ZE003 bad
argument, ZE004 an id that names no event, ZE013 unknown subscription.$$;

REVOKE ALL ON FUNCTION private.log_positions(integer, xid8, bigint, integer, text[], text[], integer, xid8) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.read_deliveries_one_by_one(text, uuid[], timestamptz[], integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.claim_events(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.ack_events(text, text, uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.nack_event(text, text, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.claim_events(text, text, integer) TO eventstore_projector;
GRANT EXECUTE ON FUNCTION api.ack_events(text, text, uuid[]) TO eventstore_projector;
GRANT EXECUTE ON FUNCTION api.nack_event(text, text, uuid, text) TO eventstore_projector;

COMMIT;
