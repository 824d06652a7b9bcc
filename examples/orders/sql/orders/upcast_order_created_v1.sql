CREATE OR REPLACE FUNCTION orders.upcast_order_created_v1(in_event_data jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT '{"shipping_address": null}'::jsonb || in_event_data;
$$;

COMMENT ON FUNCTION orders.upcast_order_created_v1(in_event_data jsonb) IS 'OrderCreated v1 -> v2: adds shipping_address (null)';

REVOKE ALL ON FUNCTION orders.upcast_order_created_v1(in_event_data jsonb) FROM PUBLIC;
