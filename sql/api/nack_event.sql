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
    l_role name := private.calling_role();
    l_admin boolean := private.calling_admin();
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
      AND (l.claimed_by = l_role OR l.claimed_by IS NULL OR l_admin)
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
      AND (se.claimed_by = l_role OR se.claimed_by IS NULL OR l_admin)
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

COMMENT ON FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) IS 'Gives an event leased to in_consumer back now, a failed attempt with in_error (kept, at most
2000 characters): delivered again, or parked once it has failed max_attempts times (its stream
then waits; the others flow on). Later events of its stream leased to in_consumer are given back
too (without counting an attempt): the consumer must not handle them before this one.
Returns false if the event was not leased to in_consumer (any more), or another role claimed
it (unless the caller is an admin). Errors: ZE003 bad
argument, ZE004 an id that names no event, ZE013 unknown subscription.';
REVOKE ALL ON FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) TO eventstore_projector;
