CREATE OR REPLACE FUNCTION orders.reset_order_summaries() RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    DELETE FROM orders.order_summaries;
$$;

REVOKE ALL ON FUNCTION orders.reset_order_summaries() FROM PUBLIC;
