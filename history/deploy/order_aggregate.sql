-- Deploy eventstore:order_aggregate to pg
-- requires: reducers
-- requires: snapshots
-- The Order aggregate's state, folded in the database: the reducer the Order commands
-- validate against, registered for stream type Order with a snapshot every 100 events.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.order_reducer(in_state jsonb, in_event data.events)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_totals record;
BEGIN
    CASE in_event.event_type
        WHEN 'OrderCreated' THEN
            l_totals := private.order_items_totals(in_event.event_data -> 'items');
            RETURN pg_catalog.jsonb_build_object(
                'order_id', in_event.stream_id,
                'customer_id', in_event.event_data -> 'customer_id',
                'status', 'created',
                'items', COALESCE(in_event.event_data -> 'items', '[]'::jsonb),
                'total_items', l_totals.quantity,
                'total_amount', l_totals.amount,
                'created_at', in_event.created_at);
        WHEN 'ItemAdded' THEN
            l_totals := private.order_items_totals(pg_catalog.jsonb_build_array(in_event.event_data));
            RETURN in_state || pg_catalog.jsonb_build_object(
                'items', COALESCE(in_state -> 'items', '[]'::jsonb) || pg_catalog.jsonb_build_array(in_event.event_data),
                'total_items', COALESCE((in_state ->> 'total_items')::integer, 0) + l_totals.quantity,
                'total_amount', COALESCE((in_state ->> 'total_amount')::numeric, 0) + l_totals.amount);
        WHEN 'OrderSubmitted' THEN
            RETURN in_state || '{"status": "submitted"}'::jsonb;
        WHEN 'OrderCancelled' THEN
            RETURN in_state || pg_catalog.jsonb_build_object('status', 'cancelled',
                                                             'cancel_reason', in_event.event_data -> 'reason');
        ELSE
            RETURN in_state;  -- an event type this version does not know changes nothing
    END CASE;
END;
$$;

COMMENT ON FUNCTION private.order_reducer(jsonb, data.events) IS
    'Reducer of stream type Order: {order_id, customer_id, status, items, total_items, total_amount, ...}';

REVOKE ALL ON FUNCTION private.order_reducer(jsonb, data.events) FROM PUBLIC;

DO $$
BEGIN
    PERFORM api.register_reducer('Order', 'private.order_reducer(jsonb, data.events)', 1, 100);
END
$$;

COMMIT;
