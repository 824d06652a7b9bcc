CREATE OR REPLACE FUNCTION orders.load_order(in_order_id uuid, OUT state jsonb, OUT version integer) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_order_id IS NULL THEN
        RAISE EXCEPTION 'in_order_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    SELECT a.state, a.version INTO state, version FROM api.load_aggregate('Order', in_order_id) AS a;
    IF version = 0 THEN
        RAISE EXCEPTION 'Order not found: %', in_order_id USING ERRCODE = 'ZE004';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION orders.load_order(in_order_id uuid, OUT state jsonb, OUT version integer) FROM PUBLIC;
