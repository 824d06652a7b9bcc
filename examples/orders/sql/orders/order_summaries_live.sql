CREATE OR REPLACE VIEW orders.order_summaries_live AS
 SELECT s.order_id,
    s.customer_id,
    s.status,
    s.total_items,
    s.total_amount,
    s.created_at,
    s.updated_at,
    NULL::timestamp with time zone AS submitted_at,
    NULL::text AS cancel_reason
   FROM orders.order_summaries s
  WHERE (api.projection_live_version('order_summaries'::text) = 1)
UNION ALL
 SELECT s.order_id,
    s.customer_id,
    s.status,
    s.total_items,
    s.total_amount,
    s.created_at,
    s.updated_at,
    s.submitted_at,
    s.cancel_reason
   FROM orders.order_summaries_v2 s
  WHERE (api.projection_live_version('order_summaries'::text) = 2);

COMMENT ON VIEW orders.order_summaries_live IS 'The Order read model as readers see it: the rows of the live version of projection order_summaries';
