CREATE OR REPLACE PROCEDURE orders.submit_order(IN in_order_id uuid, INOUT io_new_version integer DEFAULT NULL::integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_order record := orders.load_order(in_order_id);
BEGIN
    IF l_order.state ->> 'status' <> 'created' THEN
        RAISE EXCEPTION 'order % is %: only an open order can be submitted', in_order_id, l_order.state ->> 'status'
            USING ERRCODE = 'ZE009';
    END IF;
    IF (l_order.state ->> 'total_items')::integer = 0 THEN
        RAISE EXCEPTION 'order % has no items: an empty order cannot be submitted', in_order_id
            USING ERRCODE = 'ZE009';
    END IF;
    io_new_version := orders.append_order_event(in_order_id, l_order.version, 'OrderSubmitted', '{}', 'submit_order');
END;
$$;

COMMENT ON PROCEDURE orders.submit_order(IN in_order_id uuid, INOUT io_new_version integer) IS 'Submits an open order that has items. Errors: ZE004 order not found, ZE009 not open or empty,
ZE001 the order changed meanwhile (retry).';

REVOKE ALL ON PROCEDURE orders.submit_order(IN in_order_id uuid, INOUT io_new_version integer) FROM PUBLIC;

GRANT ALL ON PROCEDURE orders.submit_order(IN in_order_id uuid, INOUT io_new_version integer) TO eventstore_writer;
