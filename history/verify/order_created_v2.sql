-- Verify eventstore:order_created_v2 on pg
-- Retired in v2.0.0: change order_domain_moved drops these objects from a database without
-- Order data, and examples/orders makes them again. So: all of them, as this change made them,
-- or none.

BEGIN;

DO $$
DECLARE
    l_functions text[] := ARRAY['private.upcast_order_created_v1(jsonb)'];
    l_tables text[] := ARRAY[]::text[];
    l_present integer;
BEGIN
    l_present := (SELECT count(*) FROM pg_catalog.unnest(l_functions) AS f(name)
                  WHERE pg_catalog.to_regprocedure(f.name) IS NOT NULL)
               + (SELECT count(*) FROM pg_catalog.unnest(l_tables) AS t(name)
                  WHERE pg_catalog.to_regclass(t.name) IS NOT NULL);
    IF l_present = 0 THEN
        RETURN;  -- retired (or not deployed)
    END IF;
    IF l_present < pg_catalog.cardinality(l_functions) + pg_catalog.cardinality(l_tables) THEN
        RAISE EXCEPTION 'only % of the % objects of order_created_v2 exist: %, %', l_present,
            pg_catalog.cardinality(l_functions) + pg_catalog.cardinality(l_tables), l_functions, l_tables;
    END IF;
    IF (SELECT u.upcaster FROM data.event_upcasters AS u WHERE u.event_type = 'OrderCreated' AND u.from_version = 1)
       IS DISTINCT FROM 'private.upcast_order_created_v1(jsonb)'::pg_catalog.regprocedure THEN
        RAISE EXCEPTION 'expected: OrderCreated 1 -> 2 registered with private.upcast_order_created_v1';
    END IF;
END
$$;

ROLLBACK;
