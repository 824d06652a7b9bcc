-- Deploy eventstore:get_customer_orders to pg
-- requires: order_summaries
-- requires: roles

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Query: Get customer orders
CREATE OR REPLACE FUNCTION api.get_customer_orders(
    in_customer_id uuid,
    in_status text DEFAULT NULL,
    in_limit integer DEFAULT 20
)
RETURNS TABLE (
    order_id uuid,
    status text,
    total_items integer,
    total_amount numeric,
    created_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_customer_id IS NULL THEN
        RAISE EXCEPTION 'in_customer_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_status NOT IN ('created', 'submitted', 'cancelled') THEN
        RAISE EXCEPTION 'in_status must be created, submitted, cancelled or NULL (any), got %', in_status
            USING ERRCODE = 'ZE003';
    END IF;

    RETURN QUERY
    SELECT s.order_id, s.status, s.total_items, s.total_amount, s.created_at
    FROM data.order_summaries AS s
    WHERE s.customer_id = in_customer_id
      AND (in_status IS NULL OR s.status = in_status)
    ORDER BY s.created_at DESC
    LIMIT private.check_limit(in_limit);
END;
$$;

COMMENT ON FUNCTION api.get_customer_orders(uuid, text, integer) IS
$$A customer's orders from the read model, newest first, optionally of one status. The read
model follows the log within seconds (projection order_summaries).
Errors: ZE003 NULL customer, unknown status or bad limit.$$;

REVOKE ALL ON FUNCTION api.get_customer_orders(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_customer_orders(uuid, text, integer) TO eventstore_reader;

COMMIT;
