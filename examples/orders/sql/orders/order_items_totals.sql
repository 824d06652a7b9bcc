CREATE OR REPLACE FUNCTION orders.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric) RETURNS record
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE(sum((i.item ->> 'quantity')::integer), 0),
           COALESCE(sum(COALESCE((i.item ->> 'price')::numeric, 0) * (i.item ->> 'quantity')::integer), 0)
    FROM pg_catalog.jsonb_array_elements(COALESCE(in_items, '[]'::jsonb)) AS i(item);
$$;

COMMENT ON FUNCTION orders.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric) IS 'Total quantity and amount (price x quantity, a missing price counts 0) of an Order event''s items';

REVOKE ALL ON FUNCTION orders.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric) FROM PUBLIC;
