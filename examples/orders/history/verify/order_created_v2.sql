-- Verify orders:order_created_v2 on pg

BEGIN;

SELECT 'private.upcast_order_created_v1(jsonb)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF (SELECT u.upcaster FROM data.event_upcasters AS u WHERE u.event_type = 'OrderCreated' AND u.from_version = 1)
       IS DISTINCT FROM 'private.upcast_order_created_v1(jsonb)'::pg_catalog.regprocedure THEN
        RAISE EXCEPTION 'OrderCreated 1 -> 2 must be registered with private.upcast_order_created_v1';
    END IF;
END
$$;

ROLLBACK;
