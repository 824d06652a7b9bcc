-- Deploy orders:order_created_v2 to pg
-- requires: eventstore:event_upcasters
-- Event versioning: OrderCreated version 2 adds shipping_address. Events written at
-- version 1 read as version 2 with shipping_address null; api.create_order writes version 2.
-- On a database upgraded from eventstore v1.x that held Order data, the core kept this
-- change's objects (eventstore:order_domain_moved): this script adopts them, creating only
-- what is missing and replacing functions by the same definitions.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

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
    IF EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.event_type = 'OrderCreated' AND u.from_version = 1) THEN
        RETURN;
    END IF;
    PERFORM api.register_upcaster('OrderCreated', 1, 'private.upcast_order_created_v1(jsonb)');
END
$$;

COMMIT;
