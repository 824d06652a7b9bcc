CREATE OR REPLACE FUNCTION orders.reset_order_summaries_v2() RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    DELETE FROM orders.order_summaries_v2;
$$;

REVOKE ALL ON FUNCTION orders.reset_order_summaries_v2() FROM PUBLIC;
