CREATE OR REPLACE PROCEDURE orders.project_order_events(IN in_batch_size integer DEFAULT 100)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM api.run_projection('order_summaries', in_batch_size);
END;
$$;

COMMENT ON PROCEDURE orders.project_order_events(IN in_batch_size integer) IS 'Applies the next batch (at most in_batch_size events) of projection order_summaries';

REVOKE ALL ON PROCEDURE orders.project_order_events(IN in_batch_size integer) FROM PUBLIC;
