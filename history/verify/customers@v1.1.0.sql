-- Verify eventstore:customers on pg
-- Retired in v2.0.0: change order_domain_moved drops these objects from a database without
-- Order data, and examples/orders makes them again. So: all of them, as this change made them,
-- or none.

BEGIN;

DO $$
DECLARE
    l_functions text[] := ARRAY['api.create_customer(text, text, uuid)'];
    l_tables text[] := ARRAY['data.customers']::text[];
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
        RAISE EXCEPTION 'only % of the % objects of customers exist: %, %', l_present,
            pg_catalog.cardinality(l_functions) + pg_catalog.cardinality(l_tables), l_functions, l_tables;
    END IF;
    EXECUTE 'SELECT id, name, email, created_at FROM data.customers WHERE false';
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.create_customer(text, text, uuid)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_reader', 'api.create_customer(text, text, uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'expected: writers, not readers, create customers';
    END IF;
END
$$;

ROLLBACK;
