-- Deploy eventstore:order_created_v2 to pg
-- requires: event_upcasters
-- The seed's event versioning example: OrderCreated version 2 adds shipping_address. Events
-- written at version 1 read as version 2 with shipping_address null; new OrderCreated events
-- are written at version 2 (api.create_order includes the address).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Upcaster example: V1 -> V2 adds the shipping_address field (keeping one already there).
CREATE OR REPLACE FUNCTION private.upcast_order_created_v1(in_event_data jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT '{"shipping_address": null}'::jsonb || in_event_data;
$$;

COMMENT ON FUNCTION private.upcast_order_created_v1(jsonb) IS 'OrderCreated v1 -> v2: adds shipping_address (null)';

REVOKE ALL ON FUNCTION private.upcast_order_created_v1(jsonb) FROM PUBLIC;

DO $$
BEGIN
    PERFORM api.register_upcaster('OrderCreated', 1, 'private.upcast_order_created_v1(jsonb)');
END
$$;

COMMIT;
