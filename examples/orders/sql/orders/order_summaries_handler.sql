CREATE OR REPLACE FUNCTION orders.order_summaries_handler(in_events data.events[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    INSERT INTO orders.order_summaries
        (order_id, customer_id, status, total_items, total_amount, created_at, updated_at)
    SELECT e.stream_id, (e.event_data ->> 'customer_id')::uuid, 'created', t.quantity, t.amount,
           e.created_at, e.created_at
    FROM pg_catalog.unnest(in_events) AS e
    CROSS JOIN LATERAL orders.order_items_totals(e.event_data -> 'items') AS t
    WHERE e.stream_type = 'Order' AND e.event_type = 'OrderCreated';

    UPDATE orders.order_summaries AS s
    SET total_items = s.total_items + c.quantity,
        total_amount = s.total_amount + c.amount,
        status = COALESCE(c.status, s.status),
        updated_at = GREATEST(s.updated_at, c.updated_at)
    FROM (
        SELECT e.stream_id,
               COALESCE(sum(t.quantity), 0) AS quantity,
               COALESCE(sum(t.amount), 0) AS amount,
               -- the last status change of the batch wins (events come in version order)
               (pg_catalog.array_agg(CASE e.event_type WHEN 'OrderSubmitted' THEN 'submitted'
                                                       WHEN 'OrderCancelled' THEN 'cancelled' END
                                     ORDER BY e.version DESC)
                   FILTER (WHERE e.event_type IN ('OrderSubmitted', 'OrderCancelled')))[1] AS status,
               max(e.created_at) AS updated_at
        FROM pg_catalog.unnest(in_events) AS e
        LEFT JOIN LATERAL orders.order_items_totals(pg_catalog.jsonb_build_array(e.event_data)) AS t
               ON e.event_type = 'ItemAdded'
        WHERE e.stream_type = 'Order' AND e.event_type IN ('ItemAdded', 'OrderSubmitted', 'OrderCancelled')
        GROUP BY e.stream_id
    ) AS c
    WHERE s.order_id = c.stream_id;
END;
$$;

COMMENT ON FUNCTION orders.order_summaries_handler(in_events data.events[]) IS 'Projection order_summaries: applies Order events to orders.order_summaries';

REVOKE ALL ON FUNCTION orders.order_summaries_handler(in_events data.events[]) FROM PUBLIC;
