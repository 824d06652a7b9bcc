-- Subscription state that names events no longer in the log forgets them (a lease keeps its
-- other events; an empty lease goes).

CREATE OR REPLACE FUNCTION private.forget_removed_deliveries(in_ids uuid[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM data.subscription_events AS v WHERE v.event_id = ANY (in_ids);
    UPDATE data.subscription_leases AS l
    SET events = ARRAY(SELECT r FROM pg_catalog.unnest(l.events) AS r WHERE NOT r.id = ANY (in_ids))
    WHERE EXISTS (SELECT FROM pg_catalog.unnest(l.events) AS r WHERE r.id = ANY (in_ids));
    DELETE FROM data.subscription_leases AS l WHERE pg_catalog.cardinality(l.events) = 0;
$$;

REVOKE ALL ON FUNCTION private.forget_removed_deliveries(in_ids uuid[]) FROM PUBLIC;
