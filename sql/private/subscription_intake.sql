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
                       e.created_at, e.global_position, e.transaction_id, e.generation, e.schema_version,
                       e.log_number)::data.events
            FROM private.events_as_read AS e
            WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                         in_subscription.generation, in_subscription.transaction_id,
                                         in_subscription.global_position,
                                         in_horizon_generation, in_horizon_transaction_id)
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
        FROM private.log_refs(in_subscription.generation, in_subscription.transaction_id,
                                   in_subscription.global_position, in_limit,
                                   in_subscription.event_types, in_subscription.stream_types,
                                   in_horizon_generation, in_horizon_transaction_id) AS p);
    events := '{}';
    FOREACH l_ref IN ARRAY refs LOOP
        BEGIN
            SELECT u.* INTO STRICT l_event
            FROM private.events_as_read AS u
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

REVOKE ALL ON FUNCTION private.subscription_intake(in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8, OUT refs private.subscription_event_ref[], OUT events data.events[], OUT unreadable_ids uuid[], OUT unreadable_errors text[]) FROM PUBLIC;
