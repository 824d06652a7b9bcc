-- Verify eventstore:order_summaries on pg
-- Retired in v2.0.0: change order_domain_moved drops these objects from a database without
-- Order data, and examples/orders makes them again. So: all of them, as this change made them,
-- or none.

BEGIN;

DO $$
DECLARE
    l_functions text[] := ARRAY['private.order_items_totals(jsonb)', 'private.order_summaries_handler(data.events[])', 'private.reset_order_summaries()', 'private.project_order_events(integer)'];
    l_tables text[] := ARRAY['data.order_summaries']::text[];
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
        RAISE EXCEPTION 'only % of the % objects of order_summaries exist: %, %', l_present,
            pg_catalog.cardinality(l_functions) + pg_catalog.cardinality(l_tables), l_functions, l_tables;
    END IF;
    EXECUTE 'SELECT order_id, customer_id, status, total_items, total_amount, created_at, updated_at
             FROM data.order_summaries WHERE false';
    IF (SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'order_summaries')
       IS DISTINCT FROM 'private.order_summaries_handler(data.events[])'::pg_catalog.regprocedure THEN
        RAISE EXCEPTION 'expected: projection order_summaries registered with private.order_summaries_handler';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.order_summaries_handler(data.events[])', 'EXECUTE') THEN
        RAISE EXCEPTION 'expected: PUBLIC does not run the handler';
    END IF;
END
$$;

ROLLBACK;
