-- Subscription state that names events created before a retired month's end forgets them.

CREATE OR REPLACE FUNCTION private.forget_deliveries_created_before(in_before timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM data.subscription_events AS v
    WHERE v.event_created_at < in_before
      AND NOT EXISTS (SELECT FROM data.events AS e WHERE e.id = v.event_id AND e.created_at = v.event_created_at);
    UPDATE data.subscription_leases AS l
    SET events = ARRAY(SELECT r FROM pg_catalog.unnest(l.events) AS r
                       WHERE r.created_at >= in_before
                          OR EXISTS (SELECT FROM data.events AS e WHERE e.id = r.id AND e.created_at = r.created_at))
    WHERE EXISTS (SELECT FROM pg_catalog.unnest(l.events) AS r WHERE r.created_at < in_before);
    DELETE FROM data.subscription_leases AS l WHERE pg_catalog.cardinality(l.events) = 0;
$$;

REVOKE ALL ON FUNCTION private.forget_deliveries_created_before(in_before timestamp with time zone) FROM PUBLIC;
