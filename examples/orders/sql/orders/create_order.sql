CREATE OR REPLACE PROCEDURE orders.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid DEFAULT NULL::uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_order_id uuid := COALESCE(io_order_id, api.uuidv7());
    l_items jsonb := COALESCE(in_items, '[]'::jsonb);
    l_total numeric;
BEGIN
    -- Validate
    IF in_customer_id IS NULL THEN
        RAISE EXCEPTION 'in_customer_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM orders.customers AS c WHERE c.id = in_customer_id) THEN
        RAISE EXCEPTION 'Customer not found: %', in_customer_id
            USING ERRCODE = 'ZE004';
    END IF;
    IF pg_catalog.jsonb_typeof(l_items) <> 'array' THEN
        RAISE EXCEPTION 'in_items must be a JSON array of {product_id, quantity, price}, got %', l_items
            USING ERRCODE = 'ZE003';
    END IF;
    IF pg_catalog.jsonb_array_length(l_items) > 1000 THEN
        RAISE EXCEPTION 'in_items has % items: at most 1000 at creation', pg_catalog.jsonb_array_length(l_items)
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM orders.check_order_item(i.item, 'item ' || i.ord)
    FROM pg_catalog.jsonb_array_elements(l_items) WITH ORDINALITY AS i(item, ord);
    PERFORM orders.check_order_totals(l_order_id, sum((i.item ->> 'quantity')::numeric),
                                       sum((i.item ->> 'quantity')::numeric * (i.item ->> 'price')::numeric))
    FROM pg_catalog.jsonb_array_elements(l_items) AS i(item);
    IF api.get_stream_version('Order', l_order_id) > 0 THEN
        RAISE EXCEPTION 'order % exists', l_order_id USING ERRCODE = 'ZE009';
    END IF;

    -- Calculate total
    SELECT t.amount INTO l_total FROM orders.order_items_totals(l_items) AS t;

    -- Append event
    -- OrderCreated version 2 (change order_created_v2): the address is not known yet.
    PERFORM orders.append_order_event(l_order_id, 0, 'OrderCreated',
        pg_catalog.jsonb_build_object('customer_id', in_customer_id, 'items', l_items, 'total', l_total,
                                      'shipping_address', NULL),
        'create_order');

    io_order_id := l_order_id;
END;
$$;

COMMENT ON PROCEDURE orders.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid) IS 'Creates an order for a customer with items [{product_id, quantity, price}] (may be empty);
io_order_id returns its id (or sets it, when given). Errors: ZE003 invalid argument or item
(quantity 1 to 1000000, price 0 to 1000000000, at most 1000 items), ZE004 customer not found,
ZE009 the order exists or its totals pass what the read model holds.';

REVOKE ALL ON PROCEDURE orders.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid) FROM PUBLIC;

GRANT ALL ON PROCEDURE orders.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid) TO eventstore_writer;
