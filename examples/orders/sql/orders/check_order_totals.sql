CREATE OR REPLACE FUNCTION orders.check_order_totals(in_order_id uuid, in_items numeric, in_amount numeric) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_items > 2147483647 OR pg_catalog.round(in_amount, 2) > 9999999999999.99 THEN
        RAISE EXCEPTION 'order % would hold % items worth %: at most 2147483647 items worth 9999999999999.99',
                in_order_id, in_items, in_amount
            USING ERRCODE = 'ZE009';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION orders.check_order_totals(in_order_id uuid, in_items numeric, in_amount numeric) FROM PUBLIC;
