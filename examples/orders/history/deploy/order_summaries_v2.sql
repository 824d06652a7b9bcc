-- Deploy orders:order_summaries_v2 to pg
-- requires: order_summaries
-- requires: eventstore:projection_versions
-- requires: eventstore:code
-- Version 2 of the Order read model, built beside version 1 without downtime (the core's README,
-- "Changing a projection without downtime"). It also keeps when an order was submitted and why
-- it was cancelled. This change registers it; the runner (pg_cron or api.run_projections)
-- catches it up from the first event while version 1 goes on serving; an operator promotes it
-- once api.projection_status says ready_to_promote:
--     SELECT api.promote_projection('order_summaries', 2);
-- Readers reach the read model through data.order_summaries_live, which shows the live
-- version's table: api.get_customer_orders reads it, and switches with the promotion.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

CREATE TABLE data.order_summaries_v2 (
    order_id        uuid PRIMARY KEY,
    customer_id     uuid NOT NULL,
    status          text NOT NULL,
    total_items     integer NOT NULL DEFAULT 0,
    total_amount    numeric(15,2) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    submitted_at    timestamptz,
    cancel_reason   text
);
CREATE INDEX order_summaries_v2_customer_idx ON data.order_summaries_v2 (customer_id, created_at DESC);

COMMENT ON TABLE data.order_summaries_v2 IS 'Read model, version 2 of projection order_summaries: one row per order';
COMMENT ON COLUMN data.order_summaries_v2.submitted_at IS 'When the order was submitted (OrderSubmitted), if it was';
COMMENT ON COLUMN data.order_summaries_v2.cancel_reason IS 'The reason given when it was cancelled, if any';

-- Version 2's handler: version 1's, plus the submission time and the reason of a cancellation.
CREATE FUNCTION private.order_summaries_v2_handler(in_events data.events[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO data.order_summaries_v2
        (order_id, customer_id, status, total_items, total_amount, created_at, updated_at)
    SELECT e.stream_id, (e.event_data ->> 'customer_id')::uuid, 'created', t.quantity, t.amount,
           e.created_at, e.created_at
    FROM pg_catalog.unnest(in_events) AS e
    CROSS JOIN LATERAL private.order_items_totals(e.event_data -> 'items') AS t
    WHERE e.stream_type = 'Order' AND e.event_type = 'OrderCreated';

    UPDATE data.order_summaries_v2 AS s
    SET total_items = s.total_items + c.quantity,
        total_amount = s.total_amount + c.amount,
        status = COALESCE(c.status, s.status),
        updated_at = GREATEST(s.updated_at, c.updated_at),
        submitted_at = COALESCE(c.submitted_at, s.submitted_at),
        cancel_reason = COALESCE(c.cancel_reason, s.cancel_reason)
    FROM (
        SELECT e.stream_id,
               COALESCE(sum(t.quantity), 0) AS quantity,
               COALESCE(sum(t.amount), 0) AS amount,
               -- the last status change of the batch wins (events come in version order)
               (pg_catalog.array_agg(CASE e.event_type WHEN 'OrderSubmitted' THEN 'submitted'
                                                       WHEN 'OrderCancelled' THEN 'cancelled' END
                                     ORDER BY e.version DESC)
                   FILTER (WHERE e.event_type IN ('OrderSubmitted', 'OrderCancelled')))[1] AS status,
               max(e.created_at) AS updated_at,
               min(e.created_at) FILTER (WHERE e.event_type = 'OrderSubmitted') AS submitted_at,
               min(e.event_data ->> 'reason') FILTER (WHERE e.event_type = 'OrderCancelled') AS cancel_reason
        FROM pg_catalog.unnest(in_events) AS e
        LEFT JOIN LATERAL private.order_items_totals(pg_catalog.jsonb_build_array(e.event_data)) AS t
               ON e.event_type = 'ItemAdded'
        WHERE e.stream_type = 'Order' AND e.event_type IN ('ItemAdded', 'OrderSubmitted', 'OrderCancelled')
        GROUP BY e.stream_id
    ) AS c
    WHERE s.order_id = c.stream_id;
END;
$$;

COMMENT ON FUNCTION private.order_summaries_v2_handler(data.events[]) IS
    'Projection order_summaries, version 2: applies Order events to data.order_summaries_v2';

-- Empties version 2's read model (its rebuilds). DELETE, not TRUNCATE (see version 1's).
CREATE FUNCTION private.reset_order_summaries_v2()
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM data.order_summaries_v2;
$$;

REVOKE ALL ON FUNCTION private.order_summaries_v2_handler(data.events[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.reset_order_summaries_v2() FROM PUBLIC;

-- The name readers use: the live version's rows. Each arm's filter is evaluated once per query
-- (a one-time filter), so a read scans one version's table.
CREATE VIEW data.order_summaries_live AS
SELECT s.order_id, s.customer_id, s.status, s.total_items, s.total_amount, s.created_at, s.updated_at,
       NULL::timestamptz AS submitted_at, NULL::text AS cancel_reason
FROM data.order_summaries AS s
WHERE api.projection_live_version('order_summaries') = 1
UNION ALL
SELECT s.order_id, s.customer_id, s.status, s.total_items, s.total_amount, s.created_at, s.updated_at,
       s.submitted_at, s.cancel_reason
FROM data.order_summaries_v2 AS s
WHERE api.projection_live_version('order_summaries') = 2;

COMMENT ON VIEW data.order_summaries_live IS
    'The Order read model as readers see it: the rows of the live version of projection order_summaries';

SELECT api.register_projection_version('order_summaries', 2, 'private.order_summaries_v2_handler(data.events[])',
                                       'private.reset_order_summaries_v2()');

COMMIT;
