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
    l_role name := private.calling_role();
    l_admin boolean := private.calling_admin();
BEGIN
    PERFORM private.check_subscription_name(in_subscription, 'in_subscription'),
            private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_event_ids IS NULL OR pg_catalog.array_ndims(in_event_ids) > 1
       OR pg_catalog.array_position(in_event_ids, NULL) IS NOT NULL
       OR pg_catalog.cardinality(in_event_ids) > 10000 THEN
        RAISE EXCEPTION 'in_event_ids must be a one-dimensional array of at most 10000 event ids without NULLs'
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
          AND (l.claimed_by = l_role OR l.claimed_by IS NULL OR l_admin)
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
              AND (se.claimed_by = l_role OR se.claimed_by IS NULL OR l_admin)
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

COMMENT ON FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) IS 'Acknowledges events leased to in_consumer: they are never delivered again (until a reset).
Returns how many were acknowledged; an event whose lease expired (it may have gone to another
consumer), that is not leased to in_consumer, or that another role claimed (unless the caller
is an admin), is not. Errors: ZE003 bad argument, ZE004 an
id that names no event (then nothing is acknowledged), ZE013 unknown subscription.';
REVOKE ALL ON FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) TO eventstore_projector;
