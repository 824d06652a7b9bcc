-- Revert eventstore:subscription_claims from pg: back to subscription_claims@v2.1.0 (its functions,
-- as below; the type stays), and the unread intake goes.
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
--     event taken in leaves data.subscription_leases / data.subscription_events only by its
--     acknowledgement (or an admin's skip or reset), and moves from one to the other in one
--     statement (expiry, nack).
--   * per-stream order: an event is handed out only while no other event of its stream is
--     in flight or parked (waiting events of a stream go out in version order, which is their
--     log order: appends keep a stream's versions in log order, change append_events).
--   * a crashed consumer: its leases expire; an expired lease is a failed attempt, so a
--     poison event that kills every consumer is parked after max_attempts deliveries.
-- Claims of one subscription take its row lock, one after the other (a claim is short: it
-- moves leases, never waits on a consumer); acknowledgements take no subscription lock. The
-- common path writes one row per claim: the first deliveries of a claim are one row of
-- data.subscription_leases, deleted by their acknowledgement (measured: per-event rows
-- drained 10x slower than a reader pages the log).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)


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
SET plan_cache_mode = force_generic_plan
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

-- The deliveries of events delivered again (rows of data.subscription_events leased in
-- this claim), read one by one: an event that cannot be read (its upcaster fails) is parked
-- with the error (its stream waits behind it; an admin replays it after fixing the upcaster,
-- or skips it), and later events of its stream in this claim go back to waiting. Only called
-- when reading them all at once failed.
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
        FROM ROWS FROM (pg_catalog.unnest(in_ids), pg_catalog.unnest(in_created), pg_catalog.unnest(in_attempts))
             WITH ORDINALITY AS d(id, created_at, attempt, ord)
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

-- The events after a subscription's cursor up to the horizon, for its intake: what the claim
-- will deliver for the first time (payloads upcast, in_events, in log order) and where each
-- is (in_refs). An event whose payload cannot be read (its upcaster fails) is in in_refs
-- only, with its error in unreadable_errors (same order as unreadable_ids).
CREATE OR REPLACE FUNCTION private.subscription_intake(
    in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8,
    OUT refs private.subscription_event_ref[], OUT events data.events[],
    OUT unreadable_ids uuid[], OUT unreadable_errors text[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- An ordered Merge Append of the partitions' indexes, never a sort (see private.log_events),
-- planned once: planning the read over the partitions for every claim cost 0.2 ms, more than
-- reading 100 events. No JIT: with sorts priced out, an upcaster's query could look costly
-- enough to compile.
SET enable_sort = off
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $$
DECLARE
    l_ref private.subscription_event_ref;
    l_event data.events;
    l_sqlstate text;
    l_message text;
BEGIN
    unreadable_ids := '{}';
    unreadable_errors := '{}';
    BEGIN
        -- The query of private.log_events, planned once (see the SET clauses above).
        events := ARRAY(
            SELECT ROW(e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data, e.metadata,
                       e.created_at, e.global_position, e.transaction_id, e.generation, e.schema_version)::data.events
            FROM private.events_upcast AS e
            WHERE (e.generation, e.transaction_id, e.global_position)
                  > (in_subscription.generation, in_subscription.transaction_id, in_subscription.global_position)
              AND (e.generation, e.transaction_id) < (in_horizon_generation, in_horizon_transaction_id)
              AND (in_subscription.event_types IS NULL OR e.event_type = ANY (in_subscription.event_types))
              AND (in_subscription.stream_types IS NULL OR e.stream_type = ANY (in_subscription.stream_types))
            ORDER BY e.generation, e.transaction_id, e.global_position
            LIMIT in_limit);
        refs := ARRAY(
            SELECT ROW(e.id, e.created_at, e.generation, e.transaction_id, e.global_position,
                       e.stream_type, e.stream_id, e.version)::private.subscription_event_ref
            FROM pg_catalog.unnest(events) WITH ORDINALITY AS e
            ORDER BY e.ordinality);
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        NULL;  -- an unreadable event among them: one by one
    END;
    -- Everything before the horizon was committed before the first read: this later
    -- snapshot sees the same events.
    refs := ARRAY(
        SELECT ROW(p.id, p.created_at, p.generation, p.transaction_id, p.global_position,
                   p.stream_type, p.stream_id, p.version)::private.subscription_event_ref
        FROM private.log_positions(in_subscription.generation, in_subscription.transaction_id,
                                   in_subscription.global_position, in_limit,
                                   in_subscription.event_types, in_subscription.stream_types,
                                   in_horizon_generation, in_horizon_transaction_id) AS p);
    events := '{}';
    FOREACH l_ref IN ARRAY refs LOOP
        BEGIN
            SELECT u.* INTO STRICT l_event
            FROM private.events_upcast AS u
            WHERE u.id = l_ref.id AND u.created_at = l_ref.created_at;
            events := events || l_event;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
            unreadable_ids := unreadable_ids || l_ref.id;
            unreadable_errors := unreadable_errors || pg_catalog.left('unreadable: ' || l_sqlstate || ': ' || l_message, 2000);
        END;
    END LOOP;
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
SET plan_cache_mode = force_generic_plan  -- measured: 10% of a claim went to planning its statements again
AS $$
DECLARE
    l_now timestamptz := pg_catalog.clock_timestamp();
    l_subscription data.subscriptions;
    l_ids uuid[] := '{}';
    l_created timestamptz[] := '{}';
    l_attempts integer[] := '{}';
    l_room integer;
    l_horizon record;
    l_intake record;
    l_last private.subscription_event_ref;
    l_wait uuid[];
    l_first private.subscription_event_ref[];
    l_deliveries private.subscription_delivery[] := '{}';
    l_has_rows boolean;
    l_last_claim_at timestamptz;
BEGIN
    PERFORM private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_limit IS NULL OR in_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'in_limit must be between 1 and 10000, got %', COALESCE(in_limit::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    l_subscription := private.lock_subscription(in_subscription);

    -- 1. Expired leases are failed attempts: the event waits again, or is parked. First
    -- deliveries become rows of their own; so do events delivered again.
    WITH expired AS (
        DELETE FROM data.subscription_leases AS l
        WHERE l.subscription_name = in_subscription AND l.leased_until <= l_now
        RETURNING l.consumer, l.events)
    INSERT INTO data.subscription_events
        (subscription_name, event_id, event_created_at, generation, transaction_id, global_position,
         stream_type, stream_id, version, attempts, last_error, parked_at)
    SELECT in_subscription, r.id, r.created_at, r.generation, r.transaction_id, r.global_position,
           r.stream_type, r.stream_id, r.version, 1,
           pg_catalog.format('the lease of consumer %s expired (attempt 1)', pg_catalog.left(x.consumer, 200)),
           CASE WHEN l_subscription.max_attempts <= 1 THEN l_now END
    FROM expired AS x
    CROSS JOIN LATERAL pg_catalog.unnest(x.events) AS r;

    UPDATE data.subscription_events AS se
    SET consumer = NULL, leased_at = NULL, leased_until = NULL,
        last_error = pg_catalog.format('the lease of consumer %s expired (attempt %s)',
                                       pg_catalog.left(se.consumer, 200), se.attempts),
        parked_at = CASE WHEN se.attempts >= l_subscription.max_attempts THEN l_now END
    WHERE se.subscription_name = in_subscription
      AND se.consumer IS NOT NULL
      AND se.leased_until <= l_now;

    -- 2. Events waiting to be delivered (again) whose stream has nothing in flight or parked,
    -- in log order; several of one stream go together, in version order.
    l_has_rows := EXISTS (SELECT FROM data.subscription_events AS x WHERE x.subscription_name = in_subscription);
    IF l_has_rows AND EXISTS (SELECT FROM data.subscription_events AS w
                              WHERE w.subscription_name = in_subscription AND w.consumer IS NULL AND w.parked_at IS NULL) THEN
        -- NOT IN over the busy streams: a hashed lookup (a join against them was planned as a
        -- nested loop, quadratic in the events in flight when consumers fell behind).
        WITH picked AS (
            SELECT w.event_id
            FROM data.subscription_events AS w
            WHERE w.subscription_name = in_subscription
              AND w.consumer IS NULL AND w.parked_at IS NULL
              AND (w.stream_type, w.stream_id) NOT IN (
                  SELECT b.stream_type, b.stream_id
                  FROM data.subscription_events AS b
                  WHERE b.subscription_name = in_subscription
                    AND (b.consumer IS NOT NULL OR b.parked_at IS NOT NULL)
                  UNION ALL
                  SELECT r.stream_type, r.stream_id
                  FROM data.subscription_leases AS l
                  CROSS JOIN LATERAL pg_catalog.unnest(l.events) AS r
                  WHERE l.subscription_name = in_subscription)
            ORDER BY w.generation, w.transaction_id, w.global_position
            LIMIT in_limit),
        leased AS (
            UPDATE data.subscription_events AS se
            SET consumer = in_consumer, leased_at = l_now, leased_until = l_now + l_subscription.lease,
                attempts = se.attempts + 1
            FROM picked AS p
            WHERE se.subscription_name = in_subscription AND se.event_id = p.event_id
            RETURNING se.event_id, se.event_created_at, se.attempts, se.generation, se.transaction_id, se.global_position)
        SELECT COALESCE(pg_catalog.array_agg(l.event_id ORDER BY l.generation, l.transaction_id, l.global_position), '{}'),
               COALESCE(pg_catalog.array_agg(l.event_created_at ORDER BY l.generation, l.transaction_id, l.global_position), '{}'),
               COALESCE(pg_catalog.array_agg(l.attempts ORDER BY l.generation, l.transaction_id, l.global_position), '{}')
        INTO l_ids, l_created, l_attempts
        FROM leased AS l;

        BEGIN
            l_deliveries := ARRAY(
                SELECT ROW(u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata,
                           u.created_at, d.attempt)::private.subscription_delivery
                FROM ROWS FROM (pg_catalog.unnest(l_ids), pg_catalog.unnest(l_created), pg_catalog.unnest(l_attempts))
                     WITH ORDINALITY AS d(id, created_at, attempt, ord)
                JOIN private.events_upcast AS u ON u.id = d.id AND u.created_at = d.created_at
                ORDER BY d.ord);
        EXCEPTION WHEN OTHERS THEN
            l_deliveries := private.read_deliveries_one_by_one(in_subscription, l_ids, l_created, l_attempts);
        END;
    END IF;

    -- 3. Room left: take new events in from the log. The horizon first, then (a later
    -- statement, a later snapshot) the events before it.
    l_room := in_limit - pg_catalog.cardinality(l_ids);
    IF l_room > 0 THEN
        l_horizon := private.read_horizon();
        l_intake := private.subscription_intake(l_subscription, l_room, l_horizon.generation, l_horizon.transaction_id);

        -- The cursor: past the last event read; past everything before the horizon if the
        -- read ended before the limit (all of it was read). Never backwards (the horizon of
        -- a conservative read can be lower than an earlier one).
        IF pg_catalog.cardinality(l_intake.refs) < l_room THEN
            l_last := ROW(NULL, NULL, l_horizon.generation, l_horizon.transaction_id, -1, NULL, NULL, NULL);
        ELSE
            l_last := l_intake.refs[pg_catalog.cardinality(l_intake.refs)];
        END IF;
        UPDATE data.subscriptions AS s
        SET generation = l_last.generation, transaction_id = l_last.transaction_id,
            global_position = l_last.global_position
        WHERE s.subscription_name = in_subscription
          AND (s.generation, s.transaction_id, s.global_position)
              < (l_last.generation, l_last.transaction_id, l_last.global_position);

        IF pg_catalog.cardinality(l_intake.refs) > 0 THEN
            -- Skipped events are never delivered (a reset may bring the cursor back to them).
            IF EXISTS (SELECT FROM data.subscription_skips AS k WHERE k.subscription_name = in_subscription) THEN
                l_intake.refs := ARRAY(
                    SELECT ROW(r.id, r.created_at, r.generation, r.transaction_id, r.global_position, r.stream_type, r.stream_id, r.version)::private.subscription_event_ref
                    FROM pg_catalog.unnest(l_intake.refs) WITH ORDINALITY AS r
                    WHERE NOT EXISTS (SELECT FROM data.subscription_skips AS k
                                      WHERE k.subscription_name = in_subscription AND k.event_id = r.id)
                    ORDER BY r.ordinality);
            END IF;

            -- An event waits if its stream is busy (an event of it in flight, waiting or
            -- parked), or if it cannot be read or comes after one of its stream that cannot.
            WITH fresh AS (
                SELECT r.id, r.stream_type, r.stream_id, r.version
                FROM pg_catalog.unnest(l_intake.refs) AS r),
            unreadable AS (
                SELECT f.stream_type, f.stream_id, min(f.version) AS version
                FROM fresh AS f WHERE f.id = ANY (l_intake.unreadable_ids)
                GROUP BY f.stream_type, f.stream_id)
            SELECT COALESCE(pg_catalog.array_agg(f.id), '{}') INTO l_wait
            FROM fresh AS f
            WHERE (l_has_rows AND EXISTS (SELECT FROM data.subscription_events AS x
                          WHERE x.subscription_name = in_subscription
                            AND x.stream_type = f.stream_type AND x.stream_id = f.stream_id))
               OR (f.stream_type, f.stream_id) IN (SELECT b.stream_type, b.stream_id  -- hashed
                                                   FROM data.subscription_leases AS l
                                                   CROSS JOIN LATERAL pg_catalog.unnest(l.events) AS b
                                                   WHERE l.subscription_name = in_subscription)
               OR (pg_catalog.cardinality(l_intake.unreadable_ids) > 0  -- rare: no scan per event otherwise
                   AND EXISTS (SELECT FROM unreadable AS u
                               WHERE u.stream_type = f.stream_type AND u.stream_id = f.stream_id
                                 AND u.version <= f.version));

            IF pg_catalog.cardinality(l_wait) > 0 THEN
                INSERT INTO data.subscription_events
                    (subscription_name, event_id, event_created_at, generation, transaction_id, global_position,
                     stream_type, stream_id, version, attempts, last_error, parked_at)
                SELECT in_subscription, r.id, r.created_at, r.generation, r.transaction_id, r.global_position,
                       r.stream_type, r.stream_id, r.version, 0, u.error,
                       CASE WHEN u.error IS NOT NULL THEN l_now END
                FROM pg_catalog.unnest(l_intake.refs) AS r
                LEFT JOIN ROWS FROM (pg_catalog.unnest(l_intake.unreadable_ids), pg_catalog.unnest(l_intake.unreadable_errors))
                          AS u(id, error) ON u.id = r.id
                WHERE r.id = ANY (l_wait);
            END IF;

            -- The rest: first deliveries to this consumer, one row for the lot.
            l_first := ARRAY(
                SELECT ROW(r.id, r.created_at, r.generation, r.transaction_id, r.global_position, r.stream_type, r.stream_id, r.version)::private.subscription_event_ref
                    FROM pg_catalog.unnest(l_intake.refs) WITH ORDINALITY AS r
                WHERE r.id <> ALL (l_wait)
                ORDER BY r.ordinality);
            IF pg_catalog.cardinality(l_first) > 0 THEN
                INSERT INTO data.subscription_leases (subscription_name, consumer, leased_at, leased_until, events)
                VALUES (in_subscription, in_consumer, l_now, l_now + l_subscription.lease, l_first);
                l_deliveries := l_deliveries || ARRAY(
                    SELECT ROW(e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data, e.metadata,
                               e.created_at, 1)::private.subscription_delivery
                    FROM pg_catalog.unnest(l_intake.events) WITH ORDINALITY AS e
                    WHERE e.id <> ALL (l_wait)
                      AND e.id IN (SELECT f.id FROM pg_catalog.unnest(l_first) AS f)
                    ORDER BY e.ordinality);
            END IF;
        END IF;
    END IF;

    -- Membership: the time of the last claim, to a tenth of the lease (not a write per claim).
    SELECT m.last_claim_at INTO l_last_claim_at
    FROM data.subscription_consumers AS m
    WHERE m.subscription_name = in_subscription AND m.consumer = in_consumer;
    IF l_last_claim_at IS NULL OR l_last_claim_at < l_now - l_subscription.lease / 10 THEN
        INSERT INTO data.subscription_consumers AS m (subscription_name, consumer, first_claim_at, last_claim_at)
        VALUES (in_subscription, in_consumer, l_now, l_now)
        ON CONFLICT (subscription_name, consumer) DO UPDATE SET last_claim_at = excluded.last_claim_at;
        -- Members that stopped claiming long ago are forgotten.
        DELETE FROM data.subscription_consumers AS m
        WHERE m.subscription_name = in_subscription
          AND m.last_claim_at < l_now - GREATEST(l_subscription.lease * 10, interval '1 hour');
    END IF;

    RETURN QUERY SELECT d.* FROM pg_catalog.unnest(l_deliveries) AS d;
END;
$$;

COMMENT ON FUNCTION api.claim_events(text, text, integer) IS
$$Up to in_limit events of the subscription, leased to in_consumer (a name the consumer
chooses) until now + the subscription's lease, payloads upcast: events delivered again first,
then new ones, each in log order. attempt is 1 on the first delivery. No event is handed out
while another event of its stream is in flight or parked; several of one stream come in
version order. Call it in a transaction of its own (autocommit): claims of one subscription
queue on its row. Errors: ZE003 bad argument (in_limit 1..10000), ZE013 unknown subscription.$$;

CREATE OR REPLACE FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_now timestamptz := pg_catalog.clock_timestamp();
    l_lease record;
    l_keep private.subscription_event_ref[];
    l_count integer := 0;
    l_acked uuid[] := '{}';
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

    -- First deliveries: out of the consumer's leases (locked, so that a claim expiring them
    -- meanwhile either comes first, and nothing is acknowledged, or waits).
    FOR l_lease IN
        SELECT l.lease_id, l.events
        FROM data.subscription_leases AS l
        WHERE l.subscription_name = in_subscription AND l.consumer = in_consumer AND l.leased_until > l_now
        FOR UPDATE
    LOOP
        l_keep := ARRAY(SELECT ROW(r.id, r.created_at, r.generation, r.transaction_id, r.global_position, r.stream_type, r.stream_id, r.version)::private.subscription_event_ref
                    FROM pg_catalog.unnest(l_lease.events) WITH ORDINALITY AS r
                        WHERE r.id <> ALL (in_event_ids) ORDER BY r.ordinality);
        CONTINUE WHEN pg_catalog.cardinality(l_keep) = pg_catalog.cardinality(l_lease.events);
        l_acked := l_acked || ARRAY(SELECT r.id FROM pg_catalog.unnest(l_lease.events) AS r
                                    WHERE r.id = ANY (in_event_ids));
        IF pg_catalog.cardinality(l_keep) = 0 THEN
            DELETE FROM data.subscription_leases AS l
            WHERE l.subscription_name = in_subscription AND l.lease_id = l_lease.lease_id;
        ELSE
            UPDATE data.subscription_leases AS l SET events = l_keep
            WHERE l.subscription_name = in_subscription AND l.lease_id = l_lease.lease_id;
        END IF;
    END LOOP;

    -- Events delivered again.
    IF pg_catalog.cardinality(l_acked) < pg_catalog.cardinality(in_event_ids) THEN
        WITH acked AS (
            DELETE FROM data.subscription_events AS se
            WHERE se.subscription_name = in_subscription
              AND se.event_id = ANY (in_event_ids)
              AND se.consumer = in_consumer
              AND se.leased_until > l_now
            RETURNING se.event_id)
        SELECT l_acked || COALESCE(pg_catalog.array_agg(a.event_id), '{}') INTO l_acked FROM acked AS a;
    END IF;

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
    l_now timestamptz := pg_catalog.clock_timestamp();
    l_max_attempts integer;
    l_error text := pg_catalog.left(COALESCE(in_error, '(no error given)'), 2000);
    l_lease record;
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

    -- A first delivery: it leaves the consumer's lease with the later events of its stream
    -- there (they cannot go before it), as rows of their own: it a failed attempt, they waiting.
    SELECT l.lease_id, l.events, r.stream_type, r.stream_id, r.version INTO l_lease
    FROM data.subscription_leases AS l
    CROSS JOIN LATERAL pg_catalog.unnest(l.events) AS r
    WHERE l.subscription_name = in_subscription AND l.consumer = in_consumer AND l.leased_until > l_now
      AND r.id = in_event_id
    FOR UPDATE OF l;
    IF FOUND THEN
        INSERT INTO data.subscription_events
            (subscription_name, event_id, event_created_at, generation, transaction_id, global_position,
             stream_type, stream_id, version, attempts, last_error, parked_at)
        SELECT in_subscription, r.id, r.created_at, r.generation, r.transaction_id, r.global_position,
               r.stream_type, r.stream_id, r.version,
               CASE WHEN r.id = in_event_id THEN 1 ELSE 0 END,
               CASE WHEN r.id = in_event_id THEN l_error END,
               CASE WHEN r.id = in_event_id AND l_max_attempts <= 1 THEN l_now END
        FROM pg_catalog.unnest(l_lease.events) AS r
        WHERE r.stream_type = l_lease.stream_type AND r.stream_id = l_lease.stream_id AND r.version >= l_lease.version;
        UPDATE data.subscription_leases AS l
        SET events = ARRAY(SELECT ROW(r.id, r.created_at, r.generation, r.transaction_id, r.global_position, r.stream_type, r.stream_id, r.version)::private.subscription_event_ref
                    FROM pg_catalog.unnest(l_lease.events) WITH ORDINALITY AS r
                           WHERE NOT (r.stream_type = l_lease.stream_type AND r.stream_id = l_lease.stream_id
                                      AND r.version >= l_lease.version)
                           ORDER BY r.ordinality)
        WHERE l.subscription_name = in_subscription AND l.lease_id = l_lease.lease_id;
        DELETE FROM data.subscription_leases AS l
        WHERE l.subscription_name = in_subscription AND l.lease_id = l_lease.lease_id
          AND pg_catalog.cardinality(l.events) = 0;
        RETURN true;
    END IF;

    -- An event delivered again.
    UPDATE data.subscription_events AS se
    SET consumer = NULL, leased_at = NULL, leased_until = NULL, last_error = l_error,
        parked_at = CASE WHEN se.attempts >= l_max_attempts THEN l_now END
    WHERE se.subscription_name = in_subscription
      AND se.event_id = in_event_id
      AND se.consumer = in_consumer
      AND se.leased_until > l_now
    RETURNING se.stream_type, se.stream_id, se.version INTO l_event;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT FROM data.subscription_events AS se
                       WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id) THEN
            PERFORM private.check_event_exists(in_event_id);
        END IF;
        RETURN false;
    END IF;
    -- Later events of its stream this consumer holds wait again (not a failed attempt of theirs).
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
REVOKE ALL ON FUNCTION private.subscription_intake(data.subscriptions, integer, integer, xid8) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.claim_events(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.ack_events(text, text, uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.nack_event(text, text, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.claim_events(text, text, integer) TO eventstore_projector;
GRANT EXECUTE ON FUNCTION api.ack_events(text, text, uuid[]) TO eventstore_projector;
GRANT EXECUTE ON FUNCTION api.nack_event(text, text, uuid, text) TO eventstore_projector;

DROP FUNCTION private.subscription_intake_unread(data.subscriptions, integer, integer, xid8, text);

COMMIT;
