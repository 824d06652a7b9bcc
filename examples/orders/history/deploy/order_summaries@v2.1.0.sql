-- Deploy orders:order_summaries to pg
-- requires: order_items_totals
-- requires: eventstore:projection_admin
-- requires: eventstore:projection_runner
-- The Order read model, registered as projection order_summaries. Its handler applies a
-- batch set-based: new orders with their items, then per order the items added, the last
-- status change and the last time. Event types it does not know it ignores.
-- On a database upgraded from eventstore v1.x that held Order data, the core kept this
-- change's objects (eventstore:order_domain_moved): this script adopts them, creating only
-- what is missing and replacing functions by the same definitions.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

-- Read model table
CREATE TABLE IF NOT EXISTS data.order_summaries (
    order_id        uuid PRIMARY KEY,
    customer_id     uuid NOT NULL,
    status          text NOT NULL,
    total_items     integer NOT NULL DEFAULT 0,
    total_amount    numeric(15,2) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- api.get_customer_orders: a customer's orders, newest first.
CREATE INDEX IF NOT EXISTS order_summaries_customer_idx ON data.order_summaries (customer_id, created_at DESC);

COMMENT ON TABLE data.order_summaries IS 'Read model: one row per order (projection order_summaries)';
COMMENT ON COLUMN data.order_summaries.total_items IS 'Sum of the quantities of all items, at creation and added';
COMMENT ON COLUMN data.order_summaries.total_amount IS 'Sum of price x quantity of all items (an item without price counts 0)';

-- Projection handler
CREATE OR REPLACE FUNCTION private.order_summaries_handler(in_events data.events[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO data.order_summaries
        (order_id, customer_id, status, total_items, total_amount, created_at, updated_at)
    SELECT e.stream_id, (e.event_data ->> 'customer_id')::uuid, 'created', t.quantity, t.amount,
           e.created_at, e.created_at
    FROM pg_catalog.unnest(in_events) AS e
    CROSS JOIN LATERAL private.order_items_totals(e.event_data -> 'items') AS t
    WHERE e.stream_type = 'Order' AND e.event_type = 'OrderCreated';

    UPDATE data.order_summaries AS s
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
        LEFT JOIN LATERAL private.order_items_totals(pg_catalog.jsonb_build_array(e.event_data)) AS t
               ON e.event_type = 'ItemAdded'
        WHERE e.stream_type = 'Order' AND e.event_type IN ('ItemAdded', 'OrderSubmitted', 'OrderCancelled')
        GROUP BY e.stream_id
    ) AS c
    WHERE s.order_id = c.stream_id;
END;
$$;

COMMENT ON FUNCTION private.order_summaries_handler(data.events[]) IS
    'Projection order_summaries: applies Order events to data.order_summaries';

-- Empties the read model for a rebuild. DELETE, not TRUNCATE: queries keep reading the
-- old rows until the rebuild commits instead of waiting on an exclusive lock.
CREATE OR REPLACE FUNCTION private.reset_order_summaries()
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM data.order_summaries;
$$;

-- The seed's procedure: one batch of the projection.
CREATE OR REPLACE PROCEDURE private.project_order_events(in_batch_size integer DEFAULT 100)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM private.run_projection_batch('order_summaries', in_batch_size);
END;
$$;

COMMENT ON PROCEDURE private.project_order_events(integer) IS
    'Applies the next batch (at most in_batch_size events) of projection order_summaries';

REVOKE ALL ON FUNCTION private.order_summaries_handler(data.events[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.reset_order_summaries() FROM PUBLIC;
REVOKE ALL ON PROCEDURE private.project_order_events(integer) FROM PUBLIC;

-- Registered once: an adopted registration keeps its checkpoint (the read model continues).
DO $$
BEGIN
    IF EXISTS (SELECT FROM data.projections AS p WHERE p.projection_name = 'order_summaries') THEN
        RETURN;
    END IF;
    PERFORM api.register_projection(
        in_projection_name := 'order_summaries',
        in_handler := 'private.order_summaries_handler(data.events[])',
        in_reset_handler := 'private.reset_order_summaries()',
        in_stream_types := ARRAY['Order'],
        in_batch_size := 500);
END
$$;

COMMIT;
