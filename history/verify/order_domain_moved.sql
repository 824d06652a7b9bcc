-- Verify eventstore:order_domain_moved on pg
-- The Order objects are gone (no Order data), or all there: kept because they held data, or
-- made again by examples/orders. Never some of them.

BEGIN;

DO $$
DECLARE
    l_functions text[] := ARRAY['api.create_customer(text, text, uuid)', 'private.order_items_totals(jsonb)', 'private.order_summaries_handler(data.events[])', 'private.reset_order_summaries()', 'private.project_order_events(integer)', 'private.order_reducer(jsonb, data.events)', 'private.upcast_order_created_v1(jsonb)', 'private.check_order_item(jsonb, text)', 'private.load_order(uuid)', 'private.append_order_event(uuid, integer, text, jsonb, text)', 'api.create_order(uuid, jsonb, uuid)', 'api.add_order_item(uuid, text, integer, numeric, integer)', 'api.submit_order(uuid, integer)', 'api.cancel_order(uuid, text, integer)', 'private.check_order_totals(uuid, numeric, numeric)', 'api.get_customer_orders(uuid, text, integer)'];
    l_tables text[] := ARRAY['data.customers', 'data.order_summaries']::text[];
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
        RAISE EXCEPTION 'only % of the % objects of order_domain_moved exist: %, %', l_present,
            pg_catalog.cardinality(l_functions) + pg_catalog.cardinality(l_tables), l_functions, l_tables;
    END IF;
END
$$;

ROLLBACK;
