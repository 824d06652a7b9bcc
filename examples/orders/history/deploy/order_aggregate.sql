-- Deploy orders:order_aggregate to pg
-- requires: order_items_totals
-- requires: eventstore:reducers
-- requires: eventstore:snapshots
-- The Order aggregate's state, folded in the database: the reducer the Order commands
-- validate against, registered for stream type Order with a snapshot every 100 events.
-- On a database upgraded from eventstore v1.x that held Order data, the core kept this
-- change's objects (eventstore:order_domain_moved): this script adopts them, creating only
-- what is missing and replacing functions by the same definitions.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

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

-- Registered once: an admin may have registered another version since.
DO $$
BEGIN
    IF EXISTS (SELECT FROM data.reducers AS r WHERE r.stream_type = 'Order') THEN
        RETURN;
    END IF;
    PERFORM api.register_reducer('Order', 'private.order_reducer(jsonb, data.events)', 1, 100);
END
$$;

COMMIT;
