CREATE OR REPLACE PROCEDURE orders.cancel_order(IN in_order_id uuid, IN in_reason text DEFAULT NULL::text, INOUT io_new_version integer DEFAULT NULL::integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_order record := orders.load_order(in_order_id);
BEGIN
    IF l_order.state ->> 'status' = 'cancelled' THEN
        RAISE EXCEPTION 'order % is already cancelled', in_order_id USING ERRCODE = 'ZE009';
    END IF;
    io_new_version := orders.append_order_event(in_order_id, l_order.version, 'OrderCancelled',
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('reason', in_reason)), 'cancel_order');
END;
$$;

COMMENT ON PROCEDURE orders.cancel_order(IN in_order_id uuid, IN in_reason text, INOUT io_new_version integer) IS 'Cancels an open or submitted order. Errors: ZE004 order not found, ZE009 already cancelled,
ZE001 the order changed meanwhile (retry).';

REVOKE ALL ON PROCEDURE orders.cancel_order(IN in_order_id uuid, IN in_reason text, INOUT io_new_version integer) FROM PUBLIC;

GRANT ALL ON PROCEDURE orders.cancel_order(IN in_order_id uuid, IN in_reason text, INOUT io_new_version integer) TO eventstore_writer;
