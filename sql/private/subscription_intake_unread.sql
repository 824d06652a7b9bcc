-- The intake of a claim that must not read payloads (earlier claims were cut off reading
-- them): the next events after the cursor, each marked unreadable with in_error, so that the
-- claim parks them as it parks events whose upcaster fails.

CREATE OR REPLACE FUNCTION private.subscription_intake_unread(
    in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8,
    in_error text,
    OUT refs private.subscription_event_ref[], OUT events data.events[],
    OUT unreadable_ids uuid[], OUT unreadable_errors text[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    refs := ARRAY(
        SELECT ROW(p.id, p.created_at, p.generation, p.transaction_id, p.global_position,
                   p.stream_type, p.stream_id, p.version)::private.subscription_event_ref
        FROM private.log_refs(in_subscription.generation, in_subscription.transaction_id,
                                   in_subscription.global_position, in_limit,
                                   in_subscription.event_types, in_subscription.stream_types,
                                   in_horizon_generation, in_horizon_transaction_id) AS p);
    events := '{}';
    unreadable_ids := ARRAY(SELECT r.id FROM pg_catalog.unnest(refs) AS r);
    unreadable_errors := pg_catalog.array_fill(in_error, ARRAY[pg_catalog.cardinality(refs)]);
END;
$$;

REVOKE ALL ON FUNCTION private.subscription_intake_unread(in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8, in_error text, OUT refs private.subscription_event_ref[], OUT events data.events[], OUT unreadable_ids uuid[], OUT unreadable_errors text[]) FROM PUBLIC;
