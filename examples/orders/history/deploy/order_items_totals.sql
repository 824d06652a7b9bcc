-- Deploy orders:order_items_totals to pg
-- requires: eventstore:schemas
-- The quantity and amount of an Order event's items (OrderCreated's items, or the one item
-- ItemAdded carries): the reducer, the commands' total checks and the read model use it.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

CREATE OR REPLACE FUNCTION private.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE(sum((i.item ->> 'quantity')::integer), 0),
           COALESCE(sum(COALESCE((i.item ->> 'price')::numeric, 0) * (i.item ->> 'quantity')::integer), 0)
    FROM pg_catalog.jsonb_array_elements(COALESCE(in_items, '[]'::jsonb)) AS i(item);
$$;

COMMENT ON FUNCTION private.order_items_totals(jsonb) IS
    'Total quantity and amount (price x quantity, a missing price counts 0) of an Order event''s items';

REVOKE ALL ON FUNCTION private.order_items_totals(jsonb) FROM PUBLIC;

COMMIT;
