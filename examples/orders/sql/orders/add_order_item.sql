CREATE OR REPLACE PROCEDURE orders.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer DEFAULT NULL::integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_order record := orders.load_order(in_order_id);
    l_item jsonb := pg_catalog.jsonb_build_object('product_id', in_product_id, 'quantity', in_quantity,
                                                  'price', in_price);
BEGIN
    PERFORM orders.check_order_item(l_item, 'the item');
    PERFORM orders.check_order_totals(in_order_id,
                                       (l_order.state ->> 'total_items')::numeric + in_quantity,
                                       (l_order.state ->> 'total_amount')::numeric + in_quantity * in_price);
    IF l_order.state ->> 'status' <> 'created' THEN
        RAISE EXCEPTION 'order % is %: items can only be added to an open order', in_order_id, l_order.state ->> 'status'
            USING ERRCODE = 'ZE009';
    END IF;
    io_new_version := orders.append_order_event(in_order_id, l_order.version, 'ItemAdded', l_item, 'add_order_item');
END;
$$;

COMMENT ON PROCEDURE orders.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer) IS 'Adds an item to an open order. Errors: ZE003 invalid item, ZE004 order not found, ZE009 the
order is submitted or cancelled or its totals would pass what the read model holds, ZE001 the
order changed meanwhile (retry).';

REVOKE ALL ON PROCEDURE orders.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer) FROM PUBLIC;

GRANT ALL ON PROCEDURE orders.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer) TO eventstore_writer;
