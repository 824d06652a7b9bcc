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
    l_role name := private.calling_role();
    l_limit integer := in_limit;
    l_cut_off bigint;
    l_unread_error text;
BEGIN
    PERFORM private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_limit IS NULL OR in_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'in_limit must be between 1 and 10000, got %', COALESCE(in_limit::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    l_subscription := private.lock_subscription(in_subscription);
    IF l_subscription.consumer_role IS NOT NULL
       AND NOT pg_catalog.pg_has_role(l_role, l_subscription.consumer_role, 'MEMBER')
       AND NOT private.calling_admin() THEN
        RAISE EXCEPTION 'role % may not claim from subscription %', l_role, pg_catalog.quote_literal(in_subscription)
            USING ERRCODE = 'ZE017',
                  HINT = 'The subscription is reserved for another consumer role (api.set_subscription_role).';
    END IF;

    -- 0. The read guard: how many claims before this one began reading and never ended (this
    -- claim counts itself now, before it reads, and clears the count when it ends). After a
    -- cut-off claim, read one event at a time; after more than max_attempts, park it unread.
    l_cut_off := COALESCE(pg_catalog.nextval(l_subscription.read_guard) - 1, 0);
    IF l_cut_off > 0 THEN
        l_limit := 1;
        IF l_cut_off > l_subscription.max_attempts THEN
            l_unread_error := pg_catalog.format(
                'unreadable: reading it was cut off %s times in a row (a cancel or statement_timeout)', l_cut_off);
        END IF;
    END IF;

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
            LIMIT l_limit),
        leased AS (
            UPDATE data.subscription_events AS se
            SET consumer = in_consumer, leased_at = l_now, leased_until = l_now + l_subscription.lease,
                attempts = se.attempts + 1, claimed_by = l_role
            FROM picked AS p
            WHERE se.subscription_name = in_subscription AND se.event_id = p.event_id
            RETURNING se.event_id, se.event_created_at, se.attempts, se.generation, se.transaction_id, se.global_position)
        SELECT COALESCE(pg_catalog.array_agg(l.event_id ORDER BY l.generation, l.transaction_id, l.global_position), '{}'),
               COALESCE(pg_catalog.array_agg(l.event_created_at ORDER BY l.generation, l.transaction_id, l.global_position), '{}'),
               COALESCE(pg_catalog.array_agg(l.attempts ORDER BY l.generation, l.transaction_id, l.global_position), '{}')
        INTO l_ids, l_created, l_attempts
        FROM leased AS l;

        IF l_unread_error IS NOT NULL AND pg_catalog.cardinality(l_ids) > 0 THEN
            -- Reading it was cut off too often: parked unread; this claim hands out nothing.
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, parked_at = l_now, last_error = l_unread_error
            WHERE se.subscription_name = in_subscription AND se.event_id = ANY (l_ids);
            l_limit := 0;
            l_ids := '{}';
        ELSE
            BEGIN
                l_deliveries := ARRAY(
                    SELECT ROW(u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata,
                               u.created_at, d.attempt)::private.subscription_delivery
                    FROM ROWS FROM (pg_catalog.unnest(l_ids), pg_catalog.unnest(l_created), pg_catalog.unnest(l_attempts))
                         WITH ORDINALITY AS d(id, created_at, attempt, ord)
                    JOIN private.events_as_read AS u ON u.id = d.id AND u.created_at = d.created_at
                    ORDER BY d.ord);
            EXCEPTION WHEN OTHERS THEN
                l_deliveries := private.read_deliveries_one_by_one(in_subscription, l_ids, l_created, l_attempts);
            END;
        END IF;
    END IF;

    -- 3. Room left: take new events in from the log. The horizon first, then (a later
    -- statement, a later snapshot) the events before it.
    l_room := l_limit - pg_catalog.cardinality(l_ids);
    IF l_room > 0 THEN
        l_horizon := private.read_horizon();
        IF l_unread_error IS NULL THEN
            l_intake := private.subscription_intake(l_subscription, l_room, l_horizon.generation, l_horizon.transaction_id);
        ELSE
            l_intake := private.subscription_intake_unread(l_subscription, l_room, l_horizon.generation,
                                                           l_horizon.transaction_id, l_unread_error);
        END IF;

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
                INSERT INTO data.subscription_leases (subscription_name, consumer, leased_at, leased_until, events, claimed_by)
                VALUES (in_subscription, in_consumer, l_now, l_now + l_subscription.lease, l_first, l_role);
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

    -- This claim ended: nothing cut off any more (not transactional either).
    IF l_subscription.read_guard IS NOT NULL THEN
        PERFORM pg_catalog.setval(l_subscription.read_guard, 0);
    END IF;
    RETURN QUERY SELECT d.* FROM pg_catalog.unnest(l_deliveries) AS d;
END;
$$;

COMMENT ON FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer) IS 'Up to in_limit events of the subscription, leased to in_consumer (a name the consumer
chooses) until now + the subscription''s lease, payloads upcast: events delivered again first,
then new ones, each in log order. attempt is 1 on the first delivery. No event is handed out
while another event of its stream is in flight or parked; several of one stream come in
version order. Call it in a transaction of its own (autocommit): claims of one subscription
queue on its row. After a claim was cut off (a cancel, statement_timeout), claims hand out one
event at a time; an event whose reading was cut off more than max_attempts times in a row is
parked unread. Errors: ZE003 bad argument (in_limit 1..10000), ZE013 unknown subscription,
ZE017 the subscription is reserved for another role.';
REVOKE ALL ON FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer) TO eventstore_projector;
