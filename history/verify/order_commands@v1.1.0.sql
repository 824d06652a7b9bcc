-- Verify eventstore:order_commands on pg
-- Retired in v2.0.0: change order_domain_moved drops these objects from a database without
-- Order data, and examples/orders makes them again. So: all of them, as this change made them,
-- or none.

BEGIN;

DO $$
DECLARE
    l_functions text[] := ARRAY['private.check_order_item(jsonb, text)', 'private.load_order(uuid)', 'private.append_order_event(uuid, integer, text, jsonb, text)', 'api.create_order(uuid, jsonb, uuid)', 'api.add_order_item(uuid, text, integer, numeric, integer)', 'api.submit_order(uuid, integer)', 'api.cancel_order(uuid, text, integer)'];
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
        RAISE EXCEPTION 'only % of the % objects of order_commands exist: %, %', l_present,
            pg_catalog.cardinality(l_functions) + pg_catalog.cardinality(l_tables), l_functions, l_tables;
    END IF;
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.create_order(uuid, jsonb, uuid)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.cancel_order(uuid, text, integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_reader', 'api.submit_order(uuid, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'expected: writers, not readers, run the order commands';
    END IF;
END
$$;

ROLLBACK;
