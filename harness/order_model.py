"""The order_summaries read model computed by one set-based SQL statement over the whole log:
an oracle independent of the projection handler (tests compare the incremental model with
it) and the baseline of the rebuild benchmark."""

ORDER_SUMMARIES_SQL = """
WITH e AS (
    SELECT stream_id, version, event_type, event_data, created_at
    FROM data.events
    WHERE stream_type = 'Order'
      AND event_type IN ('OrderCreated', 'ItemAdded', 'OrderSubmitted', 'OrderCancelled')
),
created AS (
    SELECT stream_id, (event_data ->> 'customer_id')::uuid AS customer_id, created_at
    FROM e WHERE event_type = 'OrderCreated'
),
totals AS (
    SELECT e.stream_id,
           sum((i.item ->> 'quantity')::integer) AS quantity,
           sum(COALESCE((i.item ->> 'price')::numeric, 0) * (i.item ->> 'quantity')::integer) AS amount
    FROM e
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE e.event_type WHEN 'OrderCreated' THEN COALESCE(e.event_data -> 'items', '[]'::jsonb)
                          WHEN 'ItemAdded' THEN jsonb_build_array(e.event_data)
                          ELSE '[]'::jsonb END) AS i(item)
    GROUP BY e.stream_id
),
last_status AS (
    SELECT DISTINCT ON (stream_id) stream_id,
           CASE event_type WHEN 'OrderSubmitted' THEN 'submitted' ELSE 'cancelled' END AS status
    FROM e WHERE event_type IN ('OrderSubmitted', 'OrderCancelled')
    ORDER BY stream_id, version DESC
),
last_change AS (
    SELECT stream_id, max(created_at) AS updated_at FROM e GROUP BY stream_id
)
SELECT c.stream_id AS order_id, c.customer_id, COALESCE(s.status, 'created') AS status,
       COALESCE(t.quantity, 0)::integer AS total_items, COALESCE(t.amount, 0)::numeric(15,2) AS total_amount,
       c.created_at, l.updated_at
FROM created AS c
LEFT JOIN totals AS t USING (stream_id)
LEFT JOIN last_status AS s USING (stream_id)
JOIN last_change AS l USING (stream_id)
"""

# The read model's table: in schema orders since the example's change orders_schema (v4.1),
# in data before (the history's tests read both).
READ_MODEL_SQL = """
SELECT order_id, customer_id, status, total_items, total_amount, created_at, updated_at
FROM orders.order_summaries
"""
READ_MODEL_SQL_BEFORE_V4_1 = READ_MODEL_SQL.replace("orders.order_summaries", "data.order_summaries")
