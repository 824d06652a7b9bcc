CREATE OR REPLACE FUNCTION orders.order_reducer(in_state jsonb, in_event data.events) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_totals record;
BEGIN
    CASE in_event.event_type
        WHEN 'OrderCreated' THEN
            l_totals := orders.order_items_totals(in_event.event_data -> 'items');
            RETURN pg_catalog.jsonb_build_object(
                'order_id', in_event.stream_id,
                'customer_id', in_event.event_data -> 'customer_id',
                'status', 'created',
                'items', COALESCE(in_event.event_data -> 'items', '[]'::jsonb),
                'total_items', l_totals.quantity,
                'total_amount', l_totals.amount,
                'created_at', in_event.created_at);
        WHEN 'ItemAdded' THEN
            l_totals := orders.order_items_totals(pg_catalog.jsonb_build_array(in_event.event_data));
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

COMMENT ON FUNCTION orders.order_reducer(in_state jsonb, in_event data.events) IS 'Reducer of stream type Order: {order_id, customer_id, status, items, total_items, total_amount, ...}';

REVOKE ALL ON FUNCTION orders.order_reducer(in_state jsonb, in_event data.events) FROM PUBLIC;
